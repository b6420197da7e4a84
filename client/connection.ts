/**
 * One way to reach Temporal, used by the worker, the CLI, chat and the tests: the same
 * connection settings and the same data converter (payload codec + failure converter).
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './codec';
import type { TemporalConfig } from './config';

/** The data converter every rotator process must share, or payloads will not decode. */
export function dataConverter(cfg: Pick<TemporalConfig, 'codecKeys'>): DataConverter {
  return {
    payloadCodecs: [new AesGcmCodec(cfg.codecKeys)],
    failureConverterPath: require.resolve('./failure-converter'),
  };
}

/** Connects to Temporal; the caller closes the connection. */
export async function connectTemporal(cfg: TemporalConfig): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address: cfg.address, connectTimeout: '10s' });
  const client = new Client({ connection, namespace: cfg.namespace, dataConverter: dataConverter(cfg) });
  return { connection, client };
}
