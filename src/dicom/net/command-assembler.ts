/**
 * Reassembles one DIMSE command set from its PDV fragments (PS3.8 Annex E), for both sides of an
 * association: the fragments of a command travel on one presentation context, and their total is
 * bounded so that a command that never ends cannot grow without limit.
 */
import { type DimseCommand, decodeCommand } from './dimse-command.js';
import { MAX_COMMAND_BYTES } from './dimse-limits.js';
import { type PduDecodeError, malformed, overLimit } from './item-reader.js';
import type { Pdv } from './pdu-types.js';

export class CommandAssembler {
  private parts: Buffer[] = [];
  private bytes = 0;
  private contextId = -1;

  /** True between the first and the last fragment of a command. */
  get inProgress(): boolean {
    return this.parts.length > 0;
  }

  /** The decoded command once its last fragment is in; null while more are due; else the protocol problem. */
  push(pdv: Pdv): DimseCommand | PduDecodeError | null {
    if (this.parts.length > 0 && pdv.contextId !== this.contextId) return malformed('command fragments on different presentation contexts');
    this.bytes += pdv.data.length;
    if (this.bytes > MAX_COMMAND_BYTES) return overLimit('command set exceeds its size limit');
    this.contextId = pdv.contextId;
    this.parts.push(pdv.data);
    if (!pdv.isLast) return null;
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.reset();
    return decodeCommand(bytes);
  }

  /** Drops a partial command (the association ended). */
  reset(): void {
    this.parts = [];
    this.bytes = 0;
  }
}
