/** The inventory: rotations.yaml's schema, loader and validation errors. */
export { DURATION_EXAMPLES, DurationError, formatDuration, parseDuration } from './duration';
export { formatIssue, InventoryError, type InventoryIssue } from './errors';
export { formatPath, loadInventory, parseInventory } from './load';
export {
  type ApiKeyProvider,
  type ApiKeySecretSpec,
  type AwsStoreSpec,
  type CertificateIssuer,
  type CertificateSecretSpec,
  type CertificateSettings,
  type ChatAuthorisation,
  describeInput,
  type Environment,
  type Inventory,
  type InventoryDefaults,
  inventoryErrorMap,
  inventorySchema,
  type InventorySchema,
  type OciStoreSpec,
  type PostgresSecretSpec,
  type PostgresSettings,
  type Schedule,
  SECRET_TYPES,
  type SecretRef,
  type SecretSpec,
  type SecretType,
  STORE_TYPES,
  type StoreSpec,
  type StoreType,
  type VaultStoreSpec,
} from './schema';
