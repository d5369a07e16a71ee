import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { type BrokerConfig } from '@reservoir/config';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { BROKER_CONFIG, EVENT_BUS, SERVICE_STORE } from '../tokens';

type Check = { status: 'ok' } | { status: 'failing'; error: string };

@ApiTags('health')
@Controller('healthz')
export class HealthController {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(SERVICE_STORE) private readonly store: ServiceStore,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  @Get()
  @ApiOperation({ summary: '200 when the database and the bus answer, 503 otherwise' })
  async health(@Res() res: Response): Promise<void> {
    const [database, bus] = await Promise.all([probe(() => this.store.ping()), probe(() => this.bus.ping())]);
    const ok = database.status === 'ok' && bus.status === 'ok';
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'failing',
      siteId: this.config.siteId,
      checks: { database: { ...database, kind: this.config.store.kind }, bus: { ...bus, kind: this.config.bus.kind } },
    });
  }
}

async function probe(check: () => Promise<void>, timeoutMs = 3000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)));
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'failing', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
