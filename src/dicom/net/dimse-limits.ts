/** Bounds shared by the acceptor and requestor sides of DIMSE message reading. */

/** A command set is a few hundred bytes; 64 KiB leaves room for any N-service and bounds a command that never ends. */
export const MAX_COMMAND_BYTES = 64 * 1024;
/** PDVs without data allowed per PDU and per message before we call it a flood. */
export const MAX_EMPTY_PDVS = 64;
