/**
 * The payload codec: AES-256-GCM over every payload, the second line of defence behind
 * "workflows carry references, never values". Each payload names the id of the key that
 * sealed it, so the codec key itself can be rotated: the first key encrypts, every listed
 * key decrypts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY, ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One codec key: an id (travels in payload metadata) and 32 secret bytes (never do). */
export interface CodecKey {
  id: string;
  key: Buffer;
}

/**
 * Parses `id:base64[,id:base64…]` (ROTATOR_CODEC_KEYS or a key file). The first key encrypts.
 * Messages never quote the input: it is key material.
 */
export function parseCodecKeys(text: string, source: string): CodecKey[] {
  const entries = text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new ValueError(`${source}: no codec key (expected id:base64-of-32-bytes)`);
  const keys = entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const key = Buffer.from(colon > 0 ? entry.slice(colon + 1) : '', 'base64');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id) || key.length !== 32) {
      throw new ValueError(`${source}: entry ${i + 1} is not id:base64-of-32-bytes (id of letters, digits, . _ -)`);
    }
    return { id, key };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new ValueError(`${source}: a codec key id appears twice`);
  return keys;
}

/** AES-256-GCM payload codec with key ids in metadata. */
export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: CodecKey[]) {
    if (keys.length === 0) throw new ValueError('the payload codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0];
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(id));
      const plain = Buffer.from(encodePayloadProto(payload));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      const key = this.byId.get(id);
      if (!key) throw new ValueError(`payload sealed with codec key "${id}", which is not configured`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return decodePayloadProto(plain);
    });
  }
}

// The sealed bytes are the whole inner payload (metadata and data), encoded with Temporal's
// own protobuf type, so the original encoding survives the round trip.
const PayloadProto = temporal.api.common.v1.Payload;
const encodePayloadProto = (p: Payload): Uint8Array => PayloadProto.encode(p).finish();
const decodePayloadProto = (b: Uint8Array): Payload => PayloadProto.decode(b) as Payload;
