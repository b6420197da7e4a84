/**
 * The codec key the saved replay histories were recorded with. It seals test payloads only
 * (references and names: the histories hold no secret, which the rotation tests prove), and it
 * is fixed so that a fresh machine can replay histories recorded on another.
 */
import { createHash } from 'node:crypto';

export const REPLAY_CODEC_KEYS = `replay-fixture:${createHash('sha256').update('rotator replay fixtures').digest('base64')}`;
