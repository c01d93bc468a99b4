/**
 * Reads the DIMSE responses that come back on an association we requested: a command, and for
 * C-FIND (and the like) the identifier dataset that follows it, collected up to a bound (response
 * datasets are small; a peer that sends more is not a peer we keep talking to).
 */
import { CommandAssembler } from './command-assembler.js';
import { type DimseCommand, hasDataset } from './dimse-command.js';
import { type PduDecodeError, isDecodeError, malformed, overLimit } from './item-reader.js';
import type { Pdv } from './pdu-types.js';

/** One response of an operation, with its dataset if any. */
export interface ScuResponse {
  readonly command: DimseCommand;
  readonly dataset: Buffer | null;
}

/** Response datasets held by the SCU (C-FIND identifiers are small). */
export const MAX_RESPONSE_DATASET_BYTES = 4 * 1024 * 1024;

export class ResponseReader {
  private readonly commands = new CommandAssembler();
  /** The command whose dataset is still arriving. */
  private awaitingDataset: DimseCommand | null = null;
  private datasetParts: Buffer[] = [];
  private datasetBytes = 0;

  /**
   * Takes one PDV: a whole response once complete, null while more is due, or the protocol problem.
   * `accepts` judges a decoded command before its dataset is read (is it the answer we wait for?).
   */
  push(pdv: Pdv, accepts: (command: DimseCommand) => boolean): ScuResponse | PduDecodeError | null {
    if (!pdv.isCommand) {
      const command = this.awaitingDataset;
      if (command === null) return malformed('dataset without a response command');
      this.datasetBytes += pdv.data.length;
      if (this.datasetBytes > MAX_RESPONSE_DATASET_BYTES) return overLimit('response dataset exceeds its size limit');
      // Copied: the PDU buffer it views is not ours to keep.
      this.datasetParts.push(Buffer.from(pdv.data));
      if (!pdv.isLast) return null;
      const dataset = Buffer.concat(this.datasetParts, this.datasetBytes);
      this.clearDataset();
      return { command, dataset };
    }
    if (this.awaitingDataset !== null) return malformed('command while a response dataset is incomplete');
    const command = this.commands.push(pdv);
    if (command === null || isDecodeError(command)) return command;
    if (!accepts(command)) return malformed('unexpected DIMSE message');
    if (!hasDataset(command)) return { command, dataset: null };
    this.awaitingDataset = command;
    return null;
  }

  private clearDataset(): void {
    this.awaitingDataset = null;
    this.datasetParts = [];
    this.datasetBytes = 0;
  }
}
