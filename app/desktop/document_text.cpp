#include "document_text.h"

#include <poppler-qt6.h>

#include <QFile>
#include <QFileInfo>
#include <QMimeDatabase>
#include <QStringDecoder>

namespace parley::app {

namespace {

Result<QString> pdfText(const QString& path) {
    const std::unique_ptr<Poppler::Document> document = Poppler::Document::load(path);
    if (!document)
        return makeError("not a readable PDF file");
    if (document->isLocked())
        return makeError("the PDF is password-protected");
    QString text;
    for (int i = 0; i < document->numPages() && text.size() < kMaxAttachmentChars; ++i) {
        const std::unique_ptr<Poppler::Page> page = document->page(i);
        if (page)
            text += page->text(QRectF()) + QLatin1Char('\n');
    }
    if (text.trimmed().isEmpty())
        return makeError("the PDF has no text layer (a scanned document?)");
    return text;
}

Result<QString> plainText(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(file.errorString().toStdString());
    const QByteArray bytes = file.readAll();
    if (bytes.contains('\0'))
        return makeError("a binary file: attach text, Markdown, code or PDF");
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder.decode(bytes);
    if (decoder.hasError())
        return makeError("not UTF-8 text: attach text, Markdown, code or PDF");
    return text;
}

}  // namespace

Result<chat::Attachment> readDocumentText(const QString& path) {
    const QFileInfo info(path);
    const auto fail = [&](const std::string& why) {
        return makeError(info.fileName().toStdString() + ": " + why);
    };
    if (!info.isFile())
        return fail("no such file");
    if (info.size() > kMaxAttachmentBytes)
        return fail("larger than 16 MiB");
    const QString mimeType = QMimeDatabase().mimeTypeForFile(info).name();
    const bool pdf = mimeType == QLatin1String("application/pdf");
    Result<QString> text = pdf ? pdfText(path) : plainText(path);
    if (!text)
        return fail(text.error().message);
    QString content = std::move(text.value());
    if (content.size() > kMaxAttachmentChars)
        content.truncate(kMaxAttachmentChars);
    return chat::Attachment{info.fileName(), pdf ? mimeType : QStringLiteral("text/plain"),
                            std::move(content)};
}

}  // namespace parley::app
