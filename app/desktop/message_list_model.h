// The messages of the branch the user sees, root first. Streamed tokens are appended to their
// row in place (one dataChanged per token, no reset); an answer's row carries its status
// (streaming, complete, cancelled = "stopped", interrupted, failed), its place among its
// siblings for the `‹ 2/3 ›` switcher, and the details of how it was made (model, tokens, time
// to first token, tokens/s). Assistant text is rendered from Markdown lazily, per visible row,
// and the HTML is cached until the text or the theme changes.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QPointer>

#include <vector>

#include "chat/chat_service.h"
#include "markdown_renderer.h"

namespace parley::app {

class MessageListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("MessageListModel belongs to a ChatController")

    /** Render code and Markdown for a dark background. */
    Q_PROPERTY(bool darkTheme READ darkTheme WRITE setDarkTheme NOTIFY darkThemeChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    /** The view is being scrolled: code highlighting waits until it stops, so that no
        highlighter process competes with the scrolling for the CPU. */
    Q_PROPERTY(bool viewMoving READ viewMoving WRITE setViewMoving NOTIFY viewMovingChanged)

  public:
    enum Role {
        MessageIdRole = Qt::UserRole + 1, /**< message id */
        AuthorRole,                       /**< "user", "assistant", "system" or "tool" */
        ContentRole,                      /**< the raw text (Markdown for answers) */
        HtmlRole,   /**< rich text (Text.RichText): Markdown rendered; a cursor while streaming */
        StatusRole, /**< "streaming", "complete", "cancelled", "interrupted", "failed" */
        StreamingRole,        /**< bool: tokens are still arriving */
        StoppedRole,          /**< bool: the user stopped this answer (status cancelled) */
        SiblingIndexRole,     /**< 0-based place among the siblings */
        SiblingCountRole,     /**< number of siblings, itself included (1: no switcher) */
        ModelRole,            /**< model that wrote an answer */
        PromptTokensRole,     /**< int, -1 when unknown */
        CompletionTokensRole, /**< int, -1 when unknown */
        TtftMsRole,           /**< time to first token in ms, -1 when unknown */
        TokensPerSecondRole,  /**< decode speed (tokens after the first / time), 0 when unknown */
        FinishReasonRole,     /**< "stop", "length", "cancelled", "error" or "" */
        AttachmentsRole,      /**< QStringList: names of the files attached to a user message */
        ErrorRole,            /**< why an answer failed, readable */
        CodeLanguagesRole,    /**< QStringList: language of each code block */
    };
    Q_ENUM(Role)

    explicit MessageListModel(MarkdownRenderer* renderer, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool darkTheme() const { return dark_; }
    void setDarkTheme(bool dark);
    bool viewMoving() const { return viewMoving_; }
    void setViewMoving(bool moving);

    void setView(const chat::ConversationView& view);
    void clear();
    // Rows from `row` on are replaced by `nodes` (a new branch after an edit or a regenerate).
    void replaceFrom(int row, std::vector<chat::MessageNode> nodes);
    void appendToken(const QString& messageId, const QString& text);
    void finishStream(const chat::StreamEvent& event);

    int rowOfMessage(const QString& messageId) const;
    const chat::MessageNode* node(int row) const;
    /** The text of code block `block` of the message in `row` (for the copy button). */
    Q_INVOKABLE QString codeBlock(int row, int block) const;

  signals:
    void darkThemeChanged();
    void countChanged();
    void viewMovingChanged();

  private:
    struct Row {
        chat::MessageNode node;
        QString error;
        QStringList attachments;
        mutable bool rendered = false;
        mutable RenderedMarkdown markdown;
    };
    static Row makeRow(chat::MessageNode node);
    const RenderedMarkdown& rendered(const Row& row) const;
    void invalidateHtml(const std::function<bool(const Row&)>& which);

    QPointer<MarkdownRenderer> renderer_;
    std::vector<Row> rows_;
    bool dark_ = false;
    bool viewMoving_ = false;
};

}  // namespace parley::app
