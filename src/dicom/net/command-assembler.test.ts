import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandAssembler } from './command-assembler.js';
import { CommandField } from './dimse-command.js';
import { MAX_COMMAND_BYTES } from './dimse-limits.js';
import { encodeEchoRq } from './dimse-messages.js';
import { isDecodeError } from './item-reader.js';
import type { Pdv } from './pdu-types.js';

const fragment = (data: Buffer, isLast: boolean, contextId = 1): Pdv => ({ contextId, isCommand: true, isLast, data });

describe('CommandAssembler', () => {
  it('decodes a command split over fragments once the last one is in', () => {
    const bytes = encodeEchoRq(7);
    const assembler = new CommandAssembler();
    assert.equal(assembler.push(fragment(bytes.subarray(0, 10), false)), null);
    assert.ok(assembler.inProgress);
    const command = assembler.push(fragment(bytes.subarray(10), true));
    assert.ok(command !== null && !isDecodeError(command));
    assert.equal(command.commandField, CommandField.CEchoRq);
    assert.equal(command.messageId, 7);
    assert.equal(assembler.inProgress, false);
  });

  it('refuses fragments of one command on two presentation contexts', () => {
    const bytes = encodeEchoRq(1);
    const assembler = new CommandAssembler();
    assembler.push(fragment(bytes.subarray(0, 10), false, 1));
    const result = assembler.push(fragment(bytes.subarray(10), true, 3));
    assert.ok(isDecodeError(result));
    assert.equal(result.kind, 'malformed');
  });

  it('refuses a command that grows past its bound before it ends', () => {
    const assembler = new CommandAssembler();
    const chunk = Buffer.alloc(16 * 1024);
    let result: ReturnType<CommandAssembler['push']> = null;
    for (let sent = 0; sent <= MAX_COMMAND_BYTES && result === null; sent += chunk.length) result = assembler.push(fragment(chunk, false));
    assert.ok(isDecodeError(result));
    assert.equal(result.kind, 'limit');
  });

  it('forgets a partial command on reset', () => {
    const bytes = encodeEchoRq(2);
    const assembler = new CommandAssembler();
    assembler.push(fragment(Buffer.from('garbage'), false));
    assembler.reset();
    const command = assembler.push(fragment(bytes, true));
    assert.ok(command !== null && !isDecodeError(command));
    assert.equal(command.messageId, 2);
  });
});
