#include "chat/chat_worker.h"
#include <algorithm>

#include "chat/context_report_json.h"
#include "chat/conversation_export.h"
#include "chat/generation.h"
#include "chat/logging.h"
#include "store/conversation_import.h"
#include "store/storage_limit.h"

namespace parley::chat {

namespace {

Error notFound(const QString& what, const QString& id) {
    return makeError(QStringLiteral("chat: %1 %2 not found").arg(what, id).toStdString());
}

}  // namespace

ChatWorker::ChatWorker(ChatCoreConfig config)
    : config_(std::move(config)), mailbox_(Mailbox::create(this)) {}

ChatWorker::~ChatWorker() {
    mailbox_->close();
}

void ChatWorker::open() {
    auto db = store::Database::open(config_.databasePath);
    if (!db) {
        openStatus_ = db.error();
        qCWarning(lcChat).noquote()
            << "cannot open the conversation store:" << QString::fromStdString(db.error().message);
        return;
    }
    db_ = std::move(db.value());
    if (config_.settings.maxDatabaseBytes > 0) {
        if (Status limited = store::limitDatabaseSize(*db_, config_.settings.maxDatabaseBytes);
            !limited) {
            openStatus_ = limited.error();
            return;
        }
    }
    conversations_ = std::make_unique<store::ConversationRepository>(*db_);
    messages_ = std::make_unique<store::MessageRepository>(*db_);
    users_ = std::make_unique<store::UserRepository>(*db_);
    summaries_ = std::make_unique<store::SummaryRepository>(*db_);
    reports_ = std::make_unique<store::ContextReportRepository>(*db_);
    accepted_ = std::make_unique<store::AcceptedRequestRepository>(*db_);
    usageRecords_ = std::make_unique<store::UsageRepository>(*db_);
    if (Result<int> recovered = messages_->recoverInterrupted(); !recovered) {
        openStatus_ = recovered.error();
        return;
    }
    checkpointTimer_ = new QTimer(this);
    checkpointTimer_->setInterval(kCheckpointTickMs);
    connect(checkpointTimer_, &QTimer::timeout, this, &ChatWorker::checkpointDue);
    openStatus_ = Ok{};
}

void ChatWorker::shutdown() {
    mailbox_->close();
    if (checkpointTimer_ != nullptr) {
        checkpointTimer_->stop();
    }
    for (const auto& generation : std::as_const(generations_)) {
        generation->model->engine->cancel(generation->requestId);
        if (generation->purpose == Generation::Purpose::Answer && messages_) {
            // Kept as the crash recovery would find it: partial text, interrupted.
            Status kept = messages_->checkpoint(generation->messageId, generation->fullText());
            if (kept) {
                kept =
                    messages_->setStatus(generation->messageId, store::MessageStatus::Interrupted);
            }
            if (!kept) {
                qCWarning(lcChat).noquote()
                    << "cannot keep answer" << generation->messageId
                    << "at shutdown:" << QString::fromStdString(kept.error().message);
            }
        }
    }
    generations_.clear();
    conversations_.reset();
    messages_.reset();
    users_.reset();
    summaries_.reset();
    reports_.reset();
    accepted_.reset();
    usageRecords_.reset();
    db_.reset();
    openStatus_ = makeError("chat: the store is closed");
}

Result<QString> ChatWorker::createUser(const QString& name) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    return users_->createUser(name);
}

Result<store::Conversation> ChatWorker::ownedConversation(const QString& userId,
                                                          const QString& id) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    Result<store::Conversation> c = conversations_->get(id);
    // Another user's conversation answers exactly like a missing one.
    if (!c || c->userId != userId) {
        return notFound(QStringLiteral("conversation"), id);
    }
    return c;
}

Result<store::Message> ChatWorker::ownedMessage(const QString& userId, const QString& id) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    Result<store::Message> m = messages_->get(id);
    if (!m || !ownedConversation(userId, m->conversationId)) {
        return notFound(QStringLiteral("message"), id);
    }
    return m;
}

Result<store::Conversation> ChatWorker::createConversation(const QString& userId,
                                                           const QString& title) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    return conversations_->create(userId, title);
}

Result<std::vector<store::Conversation>> ChatWorker::listConversations(const QString& userId,
                                                                       bool includeArchived) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    return conversations_->listForUser(userId, includeArchived);
}

Result<ConversationView> ChatWorker::view(const store::Conversation& conversation) {
    Result<std::vector<store::Message>> branch = messages_->activeBranch(conversation.id);
    if (!branch) {
        return branch.error();
    }
    Result<QHash<QString, QStringList>> tree = messages_->childIds(conversation.id);
    if (!tree) {
        return tree.error();
    }
    ConversationView v;
    v.conversation = conversation;
    for (store::Message& m : *branch) {
        MessageNode node;
        node.siblingIds = tree->value(m.parentId);
        node.siblingCount = int(node.siblingIds.size());
        node.siblingIndex = std::max(0, int(node.siblingIds.indexOf(m.id)));
        node.message = std::move(m);
        v.messages.push_back(std::move(node));
    }
    return v;
}

Result<ConversationView> ChatWorker::conversation(const QString& userId,
                                                  const QString& conversationId) {
    Result<store::Conversation> c = ownedConversation(userId, conversationId);
    if (!c) {
        return c.error();
    }
    return view(*c);
}

Status ChatWorker::renameConversation(const QString& userId, const QString& conversationId,
                                      const QString& title) {
    if (auto c = ownedConversation(userId, conversationId); !c) {
        return c.error();
    }
    return conversations_->rename(conversationId, title);
}

Status ChatWorker::setPinned(const QString& userId, const QString& conversationId, bool pinned) {
    if (auto c = ownedConversation(userId, conversationId); !c) {
        return c.error();
    }
    return conversations_->setPinned(conversationId, pinned);
}

Status ChatWorker::setArchived(const QString& userId, const QString& conversationId,
                               bool archived) {
    if (auto c = ownedConversation(userId, conversationId); !c) {
        return c.error();
    }
    return conversations_->setArchived(conversationId, archived);
}

Status ChatWorker::deleteConversation(const QString& userId, const QString& conversationId) {
    if (auto c = ownedConversation(userId, conversationId); !c) {
        return c.error();
    }
    for (const auto& generation : std::as_const(generations_)) {
        if (generation->conversationId == conversationId) {
            generation->model->engine->cancel(generation->requestId);
            generation->deleted = true;
        }
    }
    return conversations_->remove(conversationId);
}

Result<ConversationView> ChatWorker::switchBranch(const QString& userId, const QString& messageId) {
    Result<store::Message> start = ownedMessage(userId, messageId);
    if (!start) {
        return start.error();
    }
    // Down to the newest leaf: at each fork the most recent child (the branch last worked on).
    QString leaf = start->id;
    for (;;) {
        Result<std::vector<store::Message>> children =
            messages_->children(start->conversationId, leaf);
        if (!children) {
            return children.error();
        }
        if (children->empty()) {
            break;
        }
        leaf = children->back().id;
    }
    if (Status set = conversations_->setActiveLeaf(start->conversationId, leaf); !set) {
        return set.error();
    }
    return conversation(userId, start->conversationId);
}

Result<ContextReport> ChatWorker::contextReport(const QString& userId, const QString& messageId) {
    if (auto m = ownedMessage(userId, messageId); !m) {
        return m.error();
    }
    Result<QString> json = reports_->get(messageId);
    if (!json) {
        return json.error();
    }
    return contextReportFromJson(*json);
}

Result<std::vector<store::SearchHit>> ChatWorker::search(const QString& userId,
                                                         const QString& text) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    return messages_->search(userId, text);
}

Result<std::vector<store::Message>> ChatWorker::allMessages(const QString& conversationId) {
    std::vector<store::Message> all;
    std::vector<QString> parents{QString()};
    // Breadth first, so every parent comes before its children.
    for (size_t next = 0; next < parents.size(); ++next) {
        Result<std::vector<store::Message>> children =
            messages_->children(conversationId, parents[next]);
        if (!children) {
            return children.error();
        }
        for (store::Message& m : *children) {
            parents.push_back(m.id);
            all.push_back(std::move(m));
        }
    }
    return all;
}

Result<QByteArray> ChatWorker::exportConversations(const QString& userId, const QStringList& ids) {
    std::vector<store::Conversation> chosen;
    if (ids.isEmpty()) {
        Result<std::vector<store::Conversation>> all = listConversations(userId, true);
        if (!all) {
            return all.error();
        }
        chosen = std::move(all.value());
    } else {
        for (const QString& id : ids) {
            Result<store::Conversation> c = ownedConversation(userId, id);
            if (!c) {
                return c.error();
            }
            chosen.push_back(std::move(c.value()));
        }
    }
    std::vector<ExportedConversation> exported;
    for (store::Conversation& c : chosen) {
        Result<std::vector<store::Message>> messages = allMessages(c.id);
        if (!messages) {
            return messages.error();
        }
        exported.push_back({std::move(c), std::move(messages.value())});
    }
    return toParleyJson(exported);
}

Result<int> ChatWorker::importConversations(const QString& userId, const QByteArray& json) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    Result<std::vector<store::ImportedConversation>> parsed = parseConversationsJson(json);
    if (!parsed) {
        return parsed.error();
    }
    int added = 0;
    for (const store::ImportedConversation& imported : *parsed) {
        Result<QString> id = store::importConversation(*db_, userId, imported);
        if (!id) {
            return makeError(id.error().message + " (" + std::to_string(added) +
                             " conversation(s) imported before it)");
        }
        ++added;
        emit conversationChanged(userId, *id);
    }
    return added;
}

Result<std::vector<ModelInfo>> ChatWorker::models() {
    std::vector<ModelInfo> list;
    if (config_.models == nullptr) {
        return list;
    }
    const std::string defaultId = config_.models->defaultId();
    for (const auto& hosted : config_.models->models()) {
        ModelInfo info;
        info.id = QString::fromStdString(hosted->id);
        const auto& file = hosted->loaded->model().file();
        info.displayName = QString::fromUtf8(
            std::string(file.getString("general.name").value_or(hosted->id)).c_str());
        info.architecture =
            QString::fromUtf8(std::string(hosted->loaded->model().hparams().arch.name).c_str());
        info.contextTokens = contextWindow(*hosted, 0);
        info.isDefault = hosted->id == defaultId;
        list.push_back(std::move(info));
    }
    return list;
}

Result<store::UsageTotals> ChatWorker::usage(const QString& userId) {
    if (Status ok = ready(); !ok) {
        return ok.error();
    }
    return usageRecords_->totalsForUser(userId);
}

}  // namespace parley::chat
