// Original file: proto/tunctl/v1/tunctl.proto

export const ApiKeyScope = {
  API_KEY_SCOPE_UNSPECIFIED: 'API_KEY_SCOPE_UNSPECIFIED',
  API_KEY_SCOPE_READ: 'API_KEY_SCOPE_READ',
  API_KEY_SCOPE_ADMIN: 'API_KEY_SCOPE_ADMIN',
} as const;

export type ApiKeyScope =
  | 'API_KEY_SCOPE_UNSPECIFIED'
  | 0
  | 'API_KEY_SCOPE_READ'
  | 1
  | 'API_KEY_SCOPE_ADMIN'
  | 2

export type ApiKeyScope__Output = typeof ApiKeyScope[keyof typeof ApiKeyScope]
