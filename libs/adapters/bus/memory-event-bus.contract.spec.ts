import { eventBusContract } from '@reservoir/testing/event-bus-contract';
import { MemoryEventBus } from './memory-event-bus';

eventBusContract('MemoryEventBus', async () => {
  const bus = new MemoryEventBus();
  let serial = 0;
  return {
    bus,
    settle: () => bus.drain(),
    topic: (prefix) => `contract.${prefix}.${++serial}`,
    cleanup: async () => undefined,
  };
});
