/** SubscriberRegistrations (src/backends/shared/subscriptions.ts): the SQL notifiers' subscriber rows. */
import { describe, expect, it } from "vitest";
import { type RegistrationStore, SubscriberRegistrations } from "../../src/backends/shared/subscriptions.js";

describe("SubscriberRegistrations", () => {
  it("a queue subscribed again while its drop is in flight is registered again after the drop", async () => {
    const log: string[] = [];
    let finishDrop!: () => void;
    const store: RegistrationStore = {
      renew: (queues) => {
        log.push(`renew ${queues.join(",")}`);
      },
      drop: (queues) =>
        new Promise<void>((resolve) => {
          finishDrop = () => {
            log.push(`drop ${queues.join(",")}`);
            resolve();
          };
        }),
    };
    const regs = new SubscriberRegistrations(store, 60_000);
    regs.add("q");
    const dropping = regs.delete("q");
    regs.add("q"); // the engine registers it now; its row goes with the drop still in flight
    finishDrop();
    await dropping;
    expect(log).toEqual(["drop q", "renew q"]);
    expect([...regs.queues]).toEqual(["q"]);
    const closing = regs.close();
    finishDrop();
    await closing;
  });
});
