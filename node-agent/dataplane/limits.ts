// Data path limits the CLI checks flags against without loading the data path (koffi).

/** Most worker threads (TUN queues and sockets) one agent runs. */
export const MAX_WORKERS = 64;
