// The sandboxed bench handler: no work, so what is measured is the sandbox's own cost per job.
export default function noop(data) {
  return data.i;
}
