#include "store/migrations.h"

namespace parley::store {

// What the chat pipeline keeps besides the message tree: rolling summaries with the range of
// messages they stand for, the context report of every answer, accepted client message ids (so
// a retried send starts nothing new) and one usage row per model call.
const Migration& chatPipelineSchema() {
    static const Migration migration{
        2,
        "summaries, context reports, accepted requests, usage records",
        {
            R"sql(CREATE TABLE summaries (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                first_message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                last_message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                message_count INTEGER NOT NULL,
                content TEXT NOT NULL,
                model TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL))sql",
            "CREATE INDEX summaries_by_conversation ON summaries(conversation_id, created_at)",
            R"sql(CREATE TABLE context_reports (
                message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                report TEXT NOT NULL,
                created_at INTEGER NOT NULL))sql",
            R"sql(CREATE TABLE accepted_requests (
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                client_message_id TEXT NOT NULL,
                stream_id TEXT NOT NULL,
                user_message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                assistant_message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                model TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                PRIMARY KEY (conversation_id, client_message_id)))sql",
            R"sql(CREATE TABLE usage_records (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                message_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
                kind TEXT NOT NULL CHECK (kind IN ('answer', 'title', 'summary')),
                model TEXT NOT NULL DEFAULT '',
                prompt_tokens INTEGER NOT NULL DEFAULT 0,
                completion_tokens INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL))sql",
            "CREATE INDEX usage_records_by_user ON usage_records(user_id, created_at)",
        }};
    return migration;
}

}  // namespace parley::store
