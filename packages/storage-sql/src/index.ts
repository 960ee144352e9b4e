/**
 * `@kaituan/storage-sql`: kaituan's Storage port over `effect/sql`, for SQLite (one organiser,
 * one process) and PostgreSQL (many workers and app instances sharing one database).
 *
 * @packageDocumentation
 */
export * as Database from "./Database.js"
export * as Migrations from "./Migrations.js"
export * as SqlStorage from "./SqlStorage.js"
export * as InsightViews from "./InsightViews.js"
