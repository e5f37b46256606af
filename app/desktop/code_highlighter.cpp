#include "code_highlighter.h"

#include <QCryptographicHash>
#include <QProcess>
#include <QRegularExpression>

#include "app_logging.h"

namespace parley::app {

namespace {

constexpr int kMaxRunning = 2;
constexpr int kMaxLanguageLength = 40;

// Fence info strings are user (model) text: keep only what a syntax name can contain, so the
// value can never be read as another option of the tool.
QString cleanLanguage(const QString& language) {
    QString clean;
    for (QChar c : language.left(kMaxLanguageLength))
        if (c.isLetterOrNumber() || QStringLiteral("+#._- ").contains(c))
            clean.append(c);
    return clean.trimmed();
}

HighlightedCode plain(const QString& code, bool dark) {
    return {code.toHtmlEscaped(), dark ? QStringLiteral("#232629") : QStringLiteral("#f6f8fa"),
            dark ? QStringLiteral("#cfcfc2") : QStringLiteral("#1f2328"), false};
}

}  // namespace

CodeHighlighter::CodeHighlighter(QString program, QObject* parent)
    : QObject(parent), program_(std::move(program)) {
    auto* list = new QProcess(this);
    connect(list, &QProcess::finished, this, [this, list](int exitCode) {
        if (exitCode == 0) {
            const auto names = QString::fromUtf8(list->readAllStandardOutput()).split('\n');
            for (const QString& name : names)
                if (!name.trimmed().isEmpty())
                    syntaxByLowerName_.insert(name.trimmed().toLower(), name.trimmed());
        }
        list->deleteLater();
        namesKnown_ = true;
        startNext();
    });
    connect(list, &QProcess::errorOccurred, this, [this, list](QProcess::ProcessError error) {
        qCWarning(lcApp) << "code highlighting unavailable:" << program_ << list->errorString();
        if (error == QProcess::FailedToStart) {
            namesKnown_ = true;
            startNext();
        }
    });
    list->start(program_, {QStringLiteral("--list")});
}

CodeHighlighter::~CodeHighlighter() {
    for (QProcess* process : findChildren<QProcess*>()) {
        process->disconnect(this);
        process->kill();
        process->waitForFinished(1000);
    }
}

QString CodeHighlighter::syntaxFor(const QString& language) const {
    // A definition name ("Python", "C++") in any case, else the tool's own look-up, which also
    // takes file extensions ("py", "cpp", "sh").
    return syntaxByLowerName_.value(language.toLower(), language);
}

std::optional<HighlightedCode> CodeHighlighter::highlight(const QString& language,
                                                          const QString& code, bool dark) {
    const QString clean = cleanLanguage(language);
    const QString theme = dark ? QStringLiteral("Breeze Dark") : QStringLiteral("Breeze Light");
    if (clean.isEmpty())
        return plain(code, dark);
    QCryptographicHash hash(QCryptographicHash::Sha1);
    hash.addData(clean.toUtf8());
    hash.addData(QByteArrayView("\n"));
    hash.addData(theme.toUtf8());
    hash.addData(QByteArrayView("\n"));
    hash.addData(code.toUtf8());
    const QByteArray key = hash.result();
    if (const auto it = cache_.constFind(key); it != cache_.constEnd())
        return *it;
    if (!queued_.contains(key)) {
        queued_.insert(key, dark);
        waiting_.push_back({key, clean, theme, code});
        startNext();
    }
    return std::nullopt;
}

void CodeHighlighter::setHeld(bool held) {
    if (held_ == held)
        return;
    held_ = held;
    startNext();
}

void CodeHighlighter::startNext() {
    while (namesKnown_ && !held_ && running_ < kMaxRunning && !waiting_.empty()) {
        Job job = std::move(waiting_.back());
        waiting_.pop_back();
        job.syntax = syntaxFor(job.syntax);
        auto* process = new QProcess(this);
        ++running_;
        connect(process, &QProcess::finished, this,
                [this, process, job](int, QProcess::ExitStatus) { finish(process, job); });
        connect(process, &QProcess::errorOccurred, this,
                [this, process, job](QProcess::ProcessError error) {
                    if (error == QProcess::FailedToStart)
                        finish(process, job);
                });
        process->start(
            program_,
            {QStringLiteral("--stdin"), QStringLiteral("--syntax=") + job.syntax,
             QStringLiteral("--theme=") + job.theme, QStringLiteral("--output-format=html")});
        process->write(job.code.toUtf8());
        process->closeWriteChannel();
    }
}

void CodeHighlighter::finish(QProcess* process, const Job& job) {
    const bool dark = queued_.value(job.key);
    HighlightedCode result = plain(job.code, dark);
    if (process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0) {
        const QString html = QString::fromUtf8(process->readAllStandardOutput());
        const int start = html.indexOf(QLatin1String("<pre>"));
        const int end = html.lastIndexOf(QLatin1String("</pre>"));
        if (start >= 0 && end > start) {
            result.html = html.mid(start + 5, end - start - 5);
            if (result.html.startsWith('\n'))
                result.html.remove(0, 1);
            if (result.html.endsWith('\n'))
                result.html.chop(1);
            result.highlighted = true;
            static const QRegularExpression body(QStringLiteral(
                "<body style=\"background-color:(#[0-9a-fA-F]+);color:(#[0-9a-fA-F]+)"));
            if (const auto match = body.match(html); match.hasMatch()) {
                result.background = match.captured(1);
                result.foreground = match.captured(2);
            }
        }
    } else {
        qCDebug(lcApp) << "no highlighting for" << job.syntax << process->readAllStandardError();
    }
    process->disconnect(this);
    process->deleteLater();
    cache_.insert(job.key, result);
    queued_.remove(job.key);
    --running_;
    startNext();
    emit highlighted();
}

}  // namespace parley::app
