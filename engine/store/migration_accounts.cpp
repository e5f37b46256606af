#include "store/migrations.h"

namespace parley::store {

// Accounts for the gateway. Secrets are never stored: passwords as argon2id PHC strings, API
// keys and session tokens as SHA-256 hex of the full secret, keys with a short visible prefix for
// lookup and display. The usage ledger is append-only: triggers refuse UPDATE and DELETE.
const Migration& accountsSchema() {
    static const Migration migration{
        3,
        "accounts: login, roles, password hashes, quotas, API keys, sessions, usage ledger",
        {
            "ALTER TABLE users ADD COLUMN login TEXT",
            R"sql(ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
                CHECK (role IN ('admin', 'member')))sql",
            "ALTER TABLE users ADD COLUMN password_hash TEXT",
            "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE users ADD COLUMN daily_token_quota INTEGER",
            "ALTER TABLE users ADD COLUMN max_concurrent_streams INTEGER",
            "CREATE UNIQUE INDEX users_by_login ON users(login) WHERE login IS NOT NULL",
            R"sql(CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL DEFAULT '',
                prefix TEXT NOT NULL,
                secret_sha256 TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                revoked_at INTEGER,
                last_used_at INTEGER))sql",
            "CREATE INDEX api_keys_by_prefix ON api_keys(prefix)",
            "CREATE INDEX api_keys_by_user ON api_keys(user_id)",
            R"sql(CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                revoked_at INTEGER))sql",
            R"sql(CREATE TABLE usage_ledger (
                seq INTEGER PRIMARY KEY,
                created_at INTEGER NOT NULL,
                user_id TEXT NOT NULL DEFAULT '',
                api_key_id TEXT NOT NULL DEFAULT '',
                method TEXT NOT NULL,
                route TEXT NOT NULL,
                status INTEGER NOT NULL,
                model TEXT NOT NULL DEFAULT '',
                prompt_tokens INTEGER NOT NULL DEFAULT 0,
                completion_tokens INTEGER NOT NULL DEFAULT 0,
                latency_ms INTEGER NOT NULL DEFAULT 0))sql",
            "CREATE INDEX usage_ledger_by_user ON usage_ledger(user_id, created_at)",
            R"sql(CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger BEGIN
                SELECT RAISE(ABORT, 'usage_ledger is append-only');
            END)sql",
            R"sql(CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger BEGIN
                SELECT RAISE(ABORT, 'usage_ledger is append-only');
            END)sql",
        }};
    return migration;
}

}  // namespace parley::store
