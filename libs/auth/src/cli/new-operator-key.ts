/**
 * `npm run auth:operator-key`: prints a new bootstrap operator API key and the SHA-256 to put in
 * AUTH_OPERATOR_API_KEY_SHA256. Nothing is stored: keep the key, configure the hash.
 */
import { generateApiKey } from '../api-keys/api-key-format';

const { key, sha256 } = generateApiKey();
process.stdout.write(
  [
    `Operator API key (shown once; send it as "Authorization: Bearer <key>"):`,
    `  ${key}`,
    `Set on the services:`,
    `  AUTH_OPERATOR_API_KEY_SHA256=${sha256.toString('hex')}`,
    '',
  ].join('\n'),
);
