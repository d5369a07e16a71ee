import { createHash } from 'node:crypto';
import {
  BadRequestException, ConflictException, Controller, ForbiddenException, HttpCode, HttpException, HttpStatus, Inject, NotFoundException, Param, PayloadTooLargeException, Post,
  Put, Query, Req, ServiceUnavailableException, UnauthorizedException, UnprocessableEntityException, UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Request } from 'express';
import { authenticateDataRequest, checkContentDigest, type DataAuthRefusal, type DataRequest } from '@reservoir/domain/federation/protocol/data-channel-auth';
import { type CheckpointFile } from '@reservoir/domain/ports/hypervisor.port';
import { ReceiveRefused, type ReceiveRefusal } from '@reservoir/application/federation/checkpoint-receiver';
import { COMPLETE_TYPE } from '@reservoir/application/federation/checkpoint-shipper';
import { parseCompleteBody } from './complete-body';
import { DATA_CHANNEL, type DataChannel } from './data-channel';

/** Largest `complete` body: a file list of a bundle. */
const MAX_COMPLETE_BYTES = 1024 * 1024;

/**
 * The receiving end of the data channel (docs/rsrs-protocol.md, "Data channel"). Every request is authenticated
 * (signature, clock window, nonce) before its body is read; nothing is stored for a refused one.
 */
@ApiExcludeController()
@Controller('v1/data/checkpoints')
export class CheckpointTransferController {
  constructor(@Inject(DATA_CHANNEL) private readonly channel: DataChannel | null) {}

  @Put(':checkpointId/files/:file')
  @HttpCode(201)
  async putFile(
    @Param('checkpointId') checkpointId: string, @Param('file') file: string, @Query('serviceId') serviceId: unknown, @Req() req: Request,
  ): Promise<CheckpointFile> {
    const channel = this.require();
    const auth = await this.authenticate(channel, req);
    if (typeof serviceId !== 'string') throw new BadRequestException('the serviceId query parameter is required');
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > channel.maxBytes) throw new PayloadTooLargeException(`a checkpoint file may have at most ${channel.maxBytes} bytes`);
    const body = bounded(req, channel.maxBytes);
    try {
      return await channel.receiver.receiveFile(auth.site, serviceId, checkpointId, file, auth.contentSha256, body.data);
    } catch (err) {
      if (body.exceeded()) throw new PayloadTooLargeException(`a checkpoint file may have at most ${channel.maxBytes} bytes; nothing was stored`);
      throw refusal(err);
    }
  }

  @Post(':checkpointId/complete')
  @HttpCode(201)
  async complete(@Param('checkpointId') checkpointId: string, @Req() req: Request): Promise<{ sha256: string }> {
    const channel = this.require();
    const auth = await this.authenticate(channel, req);
    if ((req.headers['content-type'] ?? '').split(';')[0]?.trim() !== COMPLETE_TYPE) throw new UnsupportedMediaTypeException(`Content-Type must be ${COMPLETE_TYPE}`);
    const body = bounded(req, MAX_COMPLETE_BYTES);
    const chunks: Buffer[] = [];
    for await (const chunk of body.data) chunks.push(Buffer.from(chunk));
    const raw = Buffer.concat(chunks);
    const mismatch = checkContentDigest(auth, createHash('sha256').update(raw).digest('hex'));
    if (mismatch && !mismatch.ok) throw new UnprocessableEntityException(mismatch.detail);
    const parsed = parseCompleteBody(raw.toString('utf8'));
    if (!parsed.ok) throw new BadRequestException(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    try {
      return await channel.receiver.complete(auth.site, checkpointId, parsed.value);
    } catch (err) {
      throw refusal(err);
    }
  }

  private require(): DataChannel {
    if (!this.channel) throw new NotFoundException('this site is not federated: it has no data channel');
    return this.channel;
  }

  private async authenticate(channel: DataChannel, req: Request): Promise<DataRequest> {
    const decision = await authenticateDataRequest(req.method, req.originalUrl, req.headers, { ...channel, now: channel.clock.now() });
    if (decision.ok) return decision.request;
    req.resume(); // drain the body: nothing of it is stored
    throw authRefusal(decision.reason, decision.detail);
  }
}

function authRefusal(reason: DataAuthRefusal, detail: string): HttpException {
  switch (reason) {
    case 'missing-header':
    case 'unknown-site':
    case 'bad-signature':
    case 'outside-clock-window':
      return new UnauthorizedException(`${reason}: ${detail}`);
    case 'replay':
      return new ConflictException(`${reason}: ${detail}`);
    case 'content-mismatch':
      return new UnprocessableEntityException(`${reason}: ${detail}`);
    default: {
      const never: never = reason;
      return new UnauthorizedException(String(never));
    }
  }
}

const REFUSAL_STATUS: Record<ReceiveRefusal, (message: string) => HttpException> = {
  forbidden: (m) => new ForbiddenException(m),
  invalid: (m) => new BadRequestException(m),
  'digest-mismatch': (m) => new UnprocessableEntityException(m),
  conflict: (m) => new ConflictException(m),
  unavailable: (m) => new ServiceUnavailableException(m),
};

function refusal(err: unknown): unknown {
  return err instanceof ReceiveRefused ? REFUSAL_STATUS[err.reason](`${err.reason}: ${err.message}`) : err;
}

/** The request body as chunks, failing once it passes `maxBytes` (and telling so, for the 413). */
function bounded(req: Request, maxBytes: number): { data: AsyncIterable<Uint8Array>; exceeded(): boolean } {
  let over = false;
  async function* data(): AsyncGenerator<Uint8Array> {
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        throw new HttpException(`the body passes ${maxBytes} bytes`, HttpStatus.PAYLOAD_TOO_LARGE);
      }
      yield chunk;
    }
  }
  return { data: data(), exceeded: () => over };
}
