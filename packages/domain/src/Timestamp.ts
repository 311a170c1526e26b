import { Schema, SchemaTransformation } from "effect"

/**
 * An instant as an ISO 8601 UTC string (`2025-10-21T10:30:00Z`), decoded into a `DateTime.Utc`. Encodes with
 * milliseconds (`2025-10-21T10:30:00.000Z`).
 */
export const Timestamp = Schema.String.annotate({
  identifier: "Timestamp",
  format: "date-time",
  description: "An ISO 8601 date-time in UTC",
  examples: ["2025-10-21T10:30:00Z"]
}).pipe(Schema.decodeTo(Schema.DateTimeUtc, SchemaTransformation.dateTimeUtcFromString))
export type Timestamp = typeof Timestamp.Type
