#include "message_list_model.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace parley::app {

namespace {

QVariant optionalNumber(const std::optional<qint64>& value) {
    return value ? static_cast<int>(*value) : -1;
}

QStringList attachmentNames(const QString& json) {
    QStringList names;
    const QJsonArray array = QJsonDocument::fromJson(json.toUtf8()).array();
    for (const QJsonValue& value : array) {
        const QString name = value.isObject()
                                 ? value.toObject().value(QLatin1String("name")).toString()
                                 : value.toString();
        if (!name.isEmpty())
            names.append(name);
    }
    return names;
}

}  // namespace

MessageListModel::MessageListModel(MarkdownRenderer* renderer, QObject* parent)
    : QAbstractListModel(parent), renderer_(renderer) {
    if (renderer_)
        connect(renderer_, &MarkdownRenderer::highlightsReady, this, [this] {
            invalidateHtml(
                [](const Row& row) { return row.rendered && row.markdown.highlightPending; });
        });
}

MessageListModel::Row MessageListModel::makeRow(chat::MessageNode node) {
    Row row;
    row.attachments = attachmentNames(node.message.attachmentsJson);
    row.node = std::move(node);
    return row;
}

int MessageListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

const RenderedMarkdown& MessageListModel::rendered(const Row& row) const {
    if (!row.rendered) {
        const store::Message& m = row.node.message;
        if (m.role == QLatin1String("assistant") && renderer_) {
            row.markdown =
                renderer_->render(m.content, {dark_, m.status != store::MessageStatus::Streaming});
        } else {
            row.markdown = {};
            row.markdown.html = m.content.toHtmlEscaped().replace('\n', QLatin1String("<br/>"));
        }
        if (m.status == store::MessageStatus::Streaming) {
            // The cursor sits at the end of the last paragraph, not on a line of its own.
            static const QString cursor = QStringLiteral(" \u258D");
            if (row.markdown.html.endsWith(QLatin1String("</p>")))
                row.markdown.html.insert(row.markdown.html.size() - 4, cursor);
            else
                row.markdown.html += cursor;
        }
        row.rendered = true;
    }
    return row.markdown;
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = rows_[static_cast<size_t>(index.row())];
    const store::Message& m = row.node.message;
    switch (role) {
        case MessageIdRole:
            return m.id;
        case AuthorRole:
            return m.role;
        case Qt::DisplayRole:
        case ContentRole:
            return m.content;
        case HtmlRole:
            return rendered(row).html;
        case CodeLanguagesRole:
            return rendered(row).languages;
        case StatusRole:
            return store::statusName(m.status);
        case StreamingRole:
            return m.status == store::MessageStatus::Streaming;
        case StoppedRole:
            return m.status == store::MessageStatus::Cancelled;
        case SiblingIndexRole:
            return row.node.siblingIndex;
        case SiblingCountRole:
            return row.node.siblingCount;
        case ModelRole:
            return m.model;
        case PromptTokensRole:
            return optionalNumber(m.promptTokens);
        case CompletionTokensRole:
            return optionalNumber(m.completionTokens);
        case TtftMsRole:
            return optionalNumber(m.ttftMs);
        case TokensPerSecondRole: {
            if (!m.completionTokens || !m.totalMs || !m.ttftMs || *m.completionTokens < 2)
                return 0.0;
            const qint64 decodeMs = *m.totalMs - *m.ttftMs;
            return decodeMs > 0 ? double(*m.completionTokens - 1) * 1000.0 / double(decodeMs) : 0.0;
        }
        case FinishReasonRole:
            return m.finishReason;
        case AttachmentsRole:
            return row.attachments;
        case ErrorRole:
            return row.error;
        default:
            return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
    return {{MessageIdRole, "messageId"},
            {AuthorRole, "author"},
            {ContentRole, "content"},
            {HtmlRole, "html"},
            {StatusRole, "status"},
            {StreamingRole, "streaming"},
            {StoppedRole, "stopped"},
            {SiblingIndexRole, "siblingIndex"},
            {SiblingCountRole, "siblingCount"},
            {ModelRole, "model"},
            {PromptTokensRole, "promptTokens"},
            {CompletionTokensRole, "completionTokens"},
            {TtftMsRole, "ttftMs"},
            {TokensPerSecondRole, "tokensPerSecond"},
            {FinishReasonRole, "finishReason"},
            {AttachmentsRole, "attachments"},
            {ErrorRole, "error"},
            {CodeLanguagesRole, "codeLanguages"}};
}

void MessageListModel::invalidateHtml(const std::function<bool(const Row&)>& which) {
    for (size_t i = 0; i < rows_.size(); ++i) {
        if (!which(rows_[i]))
            continue;
        rows_[i].rendered = false;
        const QModelIndex changed = index(static_cast<int>(i));
        emit dataChanged(changed, changed, {HtmlRole, CodeLanguagesRole});
    }
}

void MessageListModel::setDarkTheme(bool dark) {
    if (dark_ == dark)
        return;
    dark_ = dark;
    invalidateHtml([](const Row& row) { return row.rendered; });
    emit darkThemeChanged();
}

void MessageListModel::setViewMoving(bool moving) {
    if (viewMoving_ == moving)
        return;
    viewMoving_ = moving;
    if (renderer_)
        renderer_->setHighlightingHeld(moving);
    emit viewMovingChanged();
}

void MessageListModel::setView(const chat::ConversationView& view) {
    const int before = rowCount();
    beginResetModel();
    rows_.clear();
    rows_.reserve(view.messages.size());
    for (const chat::MessageNode& node : view.messages)
        if (node.message.role != QLatin1String("system"))
            rows_.push_back(makeRow(node));
    endResetModel();
    if (before != rowCount())
        emit countChanged();
}

void MessageListModel::clear() {
    setView({});
}

void MessageListModel::replaceFrom(int row, std::vector<chat::MessageNode> nodes) {
    row = qBound(0, row, rowCount());
    if (row < rowCount()) {
        beginRemoveRows({}, row, rowCount() - 1);
        rows_.erase(rows_.begin() + row, rows_.end());
        endRemoveRows();
    }
    if (!nodes.empty()) {
        beginInsertRows({}, row, row + static_cast<int>(nodes.size()) - 1);
        for (auto& node : nodes)
            rows_.push_back(makeRow(std::move(node)));
        endInsertRows();
    }
    emit countChanged();
}

void MessageListModel::appendToken(const QString& messageId, const QString& text) {
    const int row = rowOfMessage(messageId);
    if (row < 0)
        return;
    Row& r = rows_[static_cast<size_t>(row)];
    r.node.message.content += text;
    r.rendered = false;
    emit dataChanged(index(row), index(row), {ContentRole, HtmlRole, CodeLanguagesRole});
}

void MessageListModel::finishStream(const chat::StreamEvent& event) {
    const int row = rowOfMessage(event.messageId);
    if (row < 0)
        return;
    Row& r = rows_[static_cast<size_t>(row)];
    store::Message& m = r.node.message;
    m.status =
        event.kind == chat::StreamEvent::Kind::Error ? store::MessageStatus::Failed : event.status;
    m.finishReason = event.finishReason;
    m.promptTokens = event.promptTokens;
    m.completionTokens = event.completionTokens;
    m.ttftMs = event.ttftMs;
    m.totalMs = event.totalMs;
    r.error = event.error;
    r.rendered = false;
    emit dataChanged(index(row), index(row));
}

int MessageListModel::rowOfMessage(const QString& messageId) const {
    for (size_t i = rows_.size(); i-- > 0;)
        if (rows_[i].node.message.id == messageId)
            return static_cast<int>(i);
    return -1;
}

const chat::MessageNode* MessageListModel::node(int row) const {
    return row >= 0 && row < rowCount() ? &rows_[static_cast<size_t>(row)].node : nullptr;
}

QString MessageListModel::codeBlock(int row, int block) const {
    if (row < 0 || row >= rowCount())
        return {};
    const RenderedMarkdown& markdown = rendered(rows_[static_cast<size_t>(row)]);
    return block >= 0 && block < markdown.codeBlocks.size() ? markdown.codeBlocks[block]
                                                            : QString();
}

}  // namespace parley::app
