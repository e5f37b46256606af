// Attached files read off the UI thread (text, code, PDF through Poppler; binary and missing
// files refused with a reason), and the settings written through to their INI file.
#include <QAbstractItemModelTester>
#include <QTemporaryDir>
#include <QTest>

#include "app_settings.h"
#include "attachment_list_model.h"
#include "document_text.h"
#include "unit/app/app_test_support.h"

using namespace parley;
using app::AttachmentListModel;

class TestAttachmentsAndSettings : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    QString write(const QString& name, const QByteArray& bytes) {
        QFile file(dir_.filePath(name));
        if (!file.open(QIODevice::WriteOnly))
            return {};
        file.write(bytes);
        return file.fileName();
    }

  private slots:
    void readsTextCodeAndPdf() {
        const auto code = app::readDocumentText(write("main.cpp", "int main() { return 0; }\n"));
        QVERIFY(code.ok());
        QCOMPARE(code->name, "main.cpp");
        QCOMPARE(code->text, "int main() { return 0; }\n");

        const auto pdf =
            app::readDocumentText(write("note.pdf", app_test::tinyPdf("Hello from a PDF")));
        QVERIFY2(pdf.ok(), pdf ? "" : pdf.error().message.c_str());
        QCOMPARE(pdf->mimeType, "application/pdf");
        QVERIFY2(pdf->text.contains("Hello from a PDF"), qPrintable(pdf->text));
    }

    void refusesWhatIsNotText_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("why");
        QTest::newRow("binary") << "blob.bin"
                                << QByteArray(
                                       "\x7f"
                                       "ELF\0\0\1",
                                       7)
                                << "binary";
        QTest::newRow("latin-1") << "old.txt" << QByteArray("caf\xe9") << "not UTF-8";
        QTest::newRow("broken pdf") << "broken.pdf" << QByteArray("%PDF-1.4\nnot really") << "PDF";
    }
    void refusesWhatIsNotText() {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, why);
        const auto result = app::readDocumentText(write(name, bytes));
        QVERIFY(!result.ok());
        const QString message = QString::fromStdString(result.error().message);
        QVERIFY2(message.startsWith(name + ": ") && message.contains(why), qPrintable(message));
    }

    void chipsShowReadingThenReadyOrFailed() {
        AttachmentListModel files;
        QAbstractItemModelTester tester(&files,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        files.addFile(QUrl::fromLocalFile(write("notes.md", "# Notes\n")));
        files.addFile(QUrl::fromLocalFile(dir_.filePath("missing.txt")));
        QCOMPARE(files.rowCount(), 2);
        QTRY_VERIFY(!files.busy());
        QCOMPARE(files.data(files.index(0), AttachmentListModel::StatusRole).toString(), "ready");
        QCOMPARE(files.data(files.index(1), AttachmentListModel::StatusRole).toString(), "failed");
        QCOMPARE(files.data(files.index(1), AttachmentListModel::ErrorRole).toString(),
                 "missing.txt: no such file");
        const auto ready = files.readyAttachments();
        QCOMPARE(ready.size(), size_t(1));
        QCOMPARE(ready.front().text, "# Notes\n");
        files.remove(1);
        QCOMPARE(files.rowCount(), 1);
        files.clear();
        QCOMPARE(files.rowCount(), 0);
    }

    void settingsPersistAndGiveOptions() {
        const QString ini = dir_.filePath("settings.ini");
        {
            app::AppSettings settings(ini);
            QCOMPARE(settings.theme(), app::AppSettings::Theme::System);
            settings.setTheme(app::AppSettings::Theme::Dark);
            settings.setTemperature(5.0);  // clamped
            settings.setMaxTokens(128);
            settings.setSystemPrompt("Be brief.");
            settings.setRemoteUrl("  https://team.example:8765 ");
        }
        app::AppSettings again(ini);
        QCOMPARE(again.theme(), app::AppSettings::Theme::Dark);
        QCOMPARE(again.temperature(), 2.0);
        QCOMPARE(again.remoteUrl(), "https://team.example:8765");
        const chat::GenerationOptions options = again.generationOptions();
        QCOMPARE(options.maxTokens.value(), 128);
        QCOMPARE(options.temperature.value(), 2.0);
        QCOMPARE(options.systemPrompt, "Be brief.");
        again.resetGeneration();
        QCOMPARE(again.maxTokens(), 512);
        QCOMPARE(again.theme(), app::AppSettings::Theme::Dark);
    }
};

QTEST_GUILESS_MAIN(TestAttachmentsAndSettings)
#include "test_attachments_and_settings.moc"
