// Uploaded files on real disk (a temporary data directory) and the multipart/form-data parser.
#include <QtTest>

#include "gateway/conversations/files_multipart.h"
#include "gateway/conversations/files_store.h"

using parley::gateway::FilesStore;
using parley::gateway::parseMultipartForm;

class TestFilesStore : public QObject {
    Q_OBJECT
  private slots:
    void parsesAFormLikeCurlSendsIt() {
        const char raw[] = "line\r\n--not-the-boundary\r\n\x00\xff end";
        const QByteArray binary(raw, sizeof raw - 1);
        const QByteArray body =
            "--XyZ\r\n"
            "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n"
            "assistants\r\n"
            "--XyZ\r\n"
            "Content-Disposition: form-data; name=\"file\"; "
            "filename=\"notes.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" +
            binary + "\r\n--XyZ--\r\n";
        auto parts = parseMultipartForm("multipart/form-data; boundary=XyZ", body);
        QVERIFY2(parts.ok(), parts.ok() ? "" : parts.error().message.c_str());
        QCOMPARE(parts->size(), size_t(2));
        QCOMPARE((*parts)[0].name, QString("purpose"));
        QCOMPARE((*parts)[0].data, QByteArray("assistants"));
        QCOMPARE((*parts)[1].name, QString("file"));
        QCOMPARE((*parts)[1].fileName, QString("notes.bin"));
        QCOMPARE((*parts)[1].contentType, QString("application/octet-stream"));
        QCOMPARE((*parts)[1].data, binary);
    }

    void refusesMalformedForms() {
        const QByteArray part = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx";
        QVERIFY(!parseMultipartForm("text/plain", part).ok());
        QVERIFY(!parseMultipartForm("multipart/form-data", part).ok());              // no boundary
        QVERIFY(!parseMultipartForm("multipart/form-data; boundary=b", part).ok());  // no end
        QVERIFY(!parseMultipartForm("multipart/form-data; boundary=b", "no delimiter").ok());
        QVERIFY(!parseMultipartForm("multipart/form-data; boundary=b",
                                    "--b\r\nContent-Disposition: form-data")
                     .ok());  // headers never end
    }

    void storesReadsListsAndChecksTheOwner() {
        QTemporaryDir dir;
        FilesStore files(dir.path() + "/files", 1024);
        auto a = files.add("alice", "a.txt", "text/plain", "assistants", "hello");
        QVERIFY(a.ok());
        QVERIFY(a->id.startsWith("file-"));
        QCOMPARE(a->bytes, qint64(5));
        QCOMPARE(a->sha256,
                 QString("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
        QVERIFY(QFile::exists(dir.path() + "/files/blobs/" + a->sha256));

        QCOMPARE(files.content("alice", a->id).value(), QByteArray("hello"));
        QVERIFY(!files.get("bob", a->id).ok());
        QVERIFY(files.get("bob", a->id).error().message.find("not found") != std::string::npos);
        QVERIFY(!files.content("bob", a->id).ok());
        QVERIFY(!files.remove("bob", a->id).ok());
        QVERIFY(files.list("bob").empty());
        QCOMPARE(files.list("alice").size(), size_t(1));

        // A second process (a restart) finds the same files.
        FilesStore reopened(dir.path() + "/files", 1024);
        QCOMPARE(reopened.get("alice", a->id).value().name, QString("a.txt"));
        QCOMPARE(reopened.content("alice", a->id).value(), QByteArray("hello"));
    }

    void sameBytesShareOneBlobUntilTheLastIsRemoved() {
        QTemporaryDir dir;
        FilesStore files(dir.path() + "/files", 1024);
        auto a = files.add("alice", "a.txt", {}, {}, "same");
        auto b = files.add("bob", "b.txt", {}, {}, "same");
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a->sha256, b->sha256);
        const QString blob = dir.path() + "/files/blobs/" + a->sha256;
        QVERIFY(files.remove("alice", a->id).ok());
        QVERIFY(QFile::exists(blob));
        QCOMPARE(files.content("bob", b->id).value(), QByteArray("same"));
        QVERIFY(files.remove("bob", b->id).ok());
        QVERIFY(!QFile::exists(blob));
    }

    void refusesEmptyAndOversizedFiles() {
        QTemporaryDir dir;
        FilesStore files(dir.path() + "/files", 8);
        QVERIFY(!files.add("alice", "e", {}, {}, QByteArray()).ok());
        auto big = files.add("alice", "big", {}, {}, QByteArray(9, 'x'));
        QVERIFY(!big.ok());
        QVERIFY(big.error().message.find("limit is 8") != std::string::npos);
        QVERIFY(files.add("alice", "fits", {}, {}, QByteArray(8, 'x')).ok());
        QCOMPARE(QDir(dir.path() + "/files/meta").entryList(QDir::Files).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestFilesStore)
#include "test_files_store.moc"
