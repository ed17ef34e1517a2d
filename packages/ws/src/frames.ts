import { decodeFrame, type DecodedFrame } from '@sockauth/core';
import type { RawData } from 'ws';

/**
 * Decodes a frame as `ws` delivers it (a `Buffer`, or fragments / an `ArrayBuffer` with another `binaryType`)
 * into core's envelope. Binary frames are decoded too, only to read an id to answer.
 */
export function decodeWsFrame(data: RawData, isBinary: boolean): DecodedFrame {
  const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return decodeFrame(buffer.toString('utf8'), isBinary);
}
