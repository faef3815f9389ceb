import { BridgeError } from '../errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the bytes a JSON call returned, the same way on every engine: they must be UTF-8 and
 * hold one JSON value. Anything else is a `protocol-error` that shows the start of the reply.
 */
export function parseJsonReply(bytes: Uint8Array, name: string, fn: string): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new BridgeError('trap', `${name}: ${fn} returned ${bytes.length} bytes that are not UTF-8`, {
      code: 'protocol-error',
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw new BridgeError('trap', `${name}: ${fn} returned malformed JSON (${(e as Error).message}): ${preview}`, {
      code: 'protocol-error',
    });
  }
}
