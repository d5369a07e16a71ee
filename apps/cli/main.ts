import { parseArgs, UsageError } from './args';
import { consoleOutput, type Output } from './output';
import { validateCommand } from './commands/validate.command';
import { deleteCommand, getCommand, listCommand, submitCommand } from './commands/service.commands';
import { watchCommand } from './commands/watch.command';
import { demoCommand } from './commands/demo.command';
import { hostsCommand } from './commands/host.commands';
import { BrokerUnreachableError } from './commands/broker-client';
import { keygenCommand } from './commands/keygen.command';

const USAGE = `usage: reservoir <command> [options]

  validate FILE [--max-bytes N] [--max-depth N] [--json]
                              check a service manifest offline (exit 0 valid, 1 rejected, 2 usage)
  submit FILE [--broker URL]  submit a manifest to a site broker
  get ID [--broker URL] [--json | --manifest]
                              show a service and its VEEs as a table (or as JSON, or its original manifest)
  watch ID [--broker URL] [--interval-ms N] [--timeout-ms N]
                              print each transition of a service and its VEEs until it settles
                              (exit 0 running or deleted, 1 failed or timed out; default poll 500 ms,
                              timeout 600000 ms, 0 waits for ever)
  list [--broker URL] [--limit N] [--offset N] [--json]
                              list the broker's services
  delete ID [--broker URL]    delete a service
  hosts [--broker URL] [--json]
                              list the site's hypervisor hosts
  hosts add NAME URI [--failure-domain D] [--labels k=v,...] [--overcommit-cpu N] [--overcommit-memory N]
                              register a host (sim://NAME?vcpu=8&memory-mib=16384&disk-gib=200 simulates one)
  hosts rm ID                 remove a host
  demo [--exit]               start a local site broker and submit the example manifests
  keygen SITE_ID --out DIR [--endpoint URL]
                              write a site's Ed25519 key pair (DIR/site.key mode 0600, DIR/site.pub) and print
                              its entry for the federation file as the last line

The broker URL defaults to $RESERVOIR_BROKER_URL, then http://127.0.0.1:8080.`;

type Command = (args: ReturnType<typeof parseArgs>, out: Output, env: Record<string, string | undefined>) => Promise<number>;

const COMMANDS: Record<string, { run: Command; flags: string[] }> = {
  validate: { run: validateCommand, flags: ['json'] },
  submit: { run: submitCommand, flags: [] },
  get: { run: getCommand, flags: ['manifest', 'json'] },
  watch: { run: watchCommand, flags: [] },
  list: { run: listCommand, flags: ['json'] },
  delete: { run: deleteCommand, flags: [] },
  hosts: { run: hostsCommand, flags: ['json'] },
  demo: { run: demoCommand, flags: ['exit'] },
  keygen: { run: keygenCommand, flags: [] },
};

/** Runs the CLI; returns the process exit code (0 ok, 1 rejected or failed, 2 usage error). */
export async function runCli(argv: string[], out: Output = consoleOutput, env = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? out.err : out.log)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    out.err(`reservoir: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(parseArgs(rest, command.flags), out, env);
  } catch (err) {
    if (err instanceof UsageError) {
      out.err(`reservoir ${name}: ${err.message}`);
      return 2;
    }
    if (err instanceof BrokerUnreachableError) {
      out.err(`reservoir ${name}: ${err.message}`);
      return 1;
    }
    out.err(`reservoir ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
