// Markdown to the HTML subset Qt Quick's Text renders (Qt rich text), through md4c with raw HTML
// disabled: HTML in a message shows as text, never as markup. Links are kept as links for the
// view to show (the app never fetches or opens them); images become a link with their alt text
// and are never loaded. Fenced code blocks get the language, a copy link ("parley-copy:<n>") and
// highlighting from the CodeHighlighter when it has a result; until then (and while an answer is
// still streaming) they show as plain text.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

namespace parley::app {

class CodeHighlighter;

struct RenderedMarkdown {
    QString html;
    QStringList codeBlocks;         // the text of each fenced or indented code block, in order
    QStringList languages;          // the language of each code block ("" when none was given)
    bool highlightPending = false;  // some block waits for the highlighter
};

class MarkdownRenderer : public QObject {
    Q_OBJECT
  public:
    struct Options {
        bool dark = false;
        bool highlight = true;  // false: code blocks stay plain (an answer still streaming)
    };

    explicit MarkdownRenderer(CodeHighlighter* highlighter = nullptr, QObject* parent = nullptr);

    RenderedMarkdown render(const QString& markdown, Options options) const;
    /** Code highlighting waits while held (see CodeHighlighter::setHeld). */
    void setHighlightingHeld(bool held);

    // The href of the copy link of code block `index`.
    static QString copyLink(int index);
    // The code block index a copy link names; -1 for any other link.
    static int codeBlockOfLink(const QString& href);

  signals:
    // New highlighting results are cached: HTML rendered with highlightPending may change.
    void highlightsReady();

  private:
    CodeHighlighter* highlighter_;
};

}  // namespace parley::app
