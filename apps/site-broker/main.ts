import { ConfigError, loadConfig } from '@reservoir/config';
import { startBroker } from './bootstrap';

/** Entry point of one site broker; configuration comes from RESERVOIR_* environment variables. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`reservoir site broker: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const broker = await startBroker(config);
  const store = config.store.kind === 'server' ? 'PostgreSQL server' : `embedded store in ${config.store.dataDir}`;
  console.log(`site ${config.siteId}: broker listening on ${broker.url} (${store}, ${config.bus.kind} bus); API docs at ${broker.url}/docs`);
  const stop = (): void => {
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`reservoir site broker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
