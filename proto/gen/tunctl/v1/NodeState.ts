// Original file: proto/tunctl/v1/tunctl.proto

export const NodeState = {
  NODE_STATE_UNSPECIFIED: 'NODE_STATE_UNSPECIFIED',
  NODE_STATE_PENDING: 'NODE_STATE_PENDING',
  NODE_STATE_READY: 'NODE_STATE_READY',
  NODE_STATE_NOT_READY: 'NODE_STATE_NOT_READY',
} as const;

export type NodeState =
  | 'NODE_STATE_UNSPECIFIED'
  | 0
  | 'NODE_STATE_PENDING'
  | 1
  | 'NODE_STATE_READY'
  | 2
  | 'NODE_STATE_NOT_READY'
  | 3

export type NodeState__Output = typeof NodeState[keyof typeof NodeState]
