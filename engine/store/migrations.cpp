#include "store/migrations.h"

namespace parley::store {

namespace {

// Timestamps are INTEGER milliseconds since the epoch and JSON columns are TEXT so that the same
// schema maps directly onto PostgreSQL (BIGINT / TEXT or JSONB). Messages carry an integer `seq`
// key besides their uuid: SQLite keeps it as a stable rowid, which the FTS5 index refers to.
const Migration kInitialSchema{
    1,
    "users, workspaces, conversations, message tree, full-text search",
    {
        R"sql(CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL))sql",
        R"sql(CREATE TABLE workspaces (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL))sql",
        R"sql(CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            workspace_id TEXT REFERENCES workspaces(id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
            archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
            tags TEXT NOT NULL DEFAULT '[]',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            active_leaf_message_id TEXT REFERENCES messages(id) ON DELETE SET NULL))sql",
        R"sql(CREATE INDEX conversations_by_user
            ON conversations(user_id, pinned, updated_at))sql",
        R"sql(CREATE TABLE messages (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
            content TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL
                CHECK (status IN ('streaming', 'complete', 'cancelled', 'interrupted', 'failed')),
            model TEXT NOT NULL DEFAULT '',
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            ttft_ms INTEGER,
            total_ms INTEGER,
            finish_reason TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            citations TEXT NOT NULL DEFAULT '[]',
            tool_calls TEXT NOT NULL DEFAULT '[]',
            moderation TEXT NOT NULL DEFAULT '{}',
            attachments TEXT NOT NULL DEFAULT '[]'))sql",
        "CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id, created_at)",
        "CREATE INDEX messages_by_status ON messages(status)",
        R"sql(CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, content='messages', content_rowid='seq'))sql",
        R"sql(CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
        END)sql",
        R"sql(CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.seq, old.content);
        END)sql",
        R"sql(CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.seq, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
        END)sql",
    }};

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all{kInitialSchema, chatPipelineSchema(), accountsSchema()};
    return all;
}

}  // namespace parley::store
