// Syntax highlighting of code blocks by the KDE Syntax Highlighting engine. Debian 12 ships it only
// for Qt 5 (KF5), which cannot be linked into this Qt 6 process, so the packaged command-line tool
// `kate-syntax-highlighter` runs out of process, reading the code on stdin and writing HTML.
// Results are cached by (language, theme, code); at most two tool processes run at once, the
// newest request first (the code on screen now), and none starts while held (the view scrolls:
// a tool process would compete with it for the CPU).
#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>

#include <deque>
#include <optional>

class QProcess;

namespace parley::app {

struct HighlightedCode {
    QString html;  // spans with inline colours, lines separated by '\n'; no <pre>
    QString background;
    QString foreground;
    bool highlighted = false;  // false: the tool failed; `html` is the escaped plain code
};

class CodeHighlighter : public QObject {
    Q_OBJECT
  public:
    explicit CodeHighlighter(QString program = QStringLiteral("kate-syntax-highlighter"),
                             QObject* parent = nullptr);
    ~CodeHighlighter() override;

    // The cached result; when there is none yet, queues the work and returns nullopt, and
    // `highlighted` is emitted once the result is cached.
    std::optional<HighlightedCode> highlight(const QString& language, const QString& code,
                                             bool dark);
    int cachedCount() const { return static_cast<int>(cache_.size()); }
    /** While held, queued work waits; processes already running finish. */
    void setHeld(bool held);
    bool held() const { return held_; }

  signals:
    void highlighted();

  private:
    struct Job {
        QByteArray key;
        QString syntax;  // the fence's language until the job starts, then the tool's name
        QString theme;
        QString code;
    };
    void startNext();
    void finish(QProcess* process, const Job& job);
    QString syntaxFor(const QString& language) const;

    QString program_;
    QHash<QByteArray, HighlightedCode> cache_;
    QHash<QByteArray, bool> queued_;
    std::deque<Job> waiting_;
    int running_ = 0;
    QHash<QString, QString> syntaxByLowerName_;  // from `--list`, filled once at start
    bool namesKnown_ = false;                    // jobs wait for the list
    bool held_ = false;
};

}  // namespace parley::app
