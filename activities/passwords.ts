/**
 * Secret material is made here, in activities, with node:crypto: the workflow sandbox's
 * Math.random is a seeded stream and its uuid4 is not cryptographic.
 */
import { randomInt } from 'node:crypto';

/** Length and alphabet of generated passwords (inventory: `password: { length, alphabet }`). */
export interface PasswordPolicy {
  length: number;
  alphabet: string;
}

/** Letters and digits only: safe in connection strings, shells and URLs without escaping. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  length: 32,
  alphabet: 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789',
};

/** A uniformly random password (randomInt is unbiased over the alphabet). */
export function generatePassword(policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string {
  if (policy.length < 16) throw new RangeError('password length must be at least 16');
  if (new Set(policy.alphabet).size < 16) throw new RangeError('password alphabet must have at least 16 distinct characters');
  let out = '';
  for (let i = 0; i < policy.length; i++) out += policy.alphabet[randomInt(policy.alphabet.length)];
  return out;
}
