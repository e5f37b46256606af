#include "local_backend.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QSaveFile>

#include "chat/mailbox.h"

namespace parley::app {

namespace {

Result<QString> createLocalUser(chat::ChatCore& core) {
    QObject receiver;
    const auto mailbox = chat::Mailbox::create(&receiver);
    QEventLoop loop;
    std::optional<Result<QString>> outcome;
    core.createUser(QStringLiteral("local"), mailbox, [&](Result<QString> id) {
        outcome = std::move(id);
        loop.quit();
    });
    loop.exec();
    mailbox->close();
    return std::move(*outcome);
}

}  // namespace

Result<std::unique_ptr<LocalBackend>> LocalBackend::open(const QString& dataDirectory,
                                                         chat::ChatSettings settings) {
    if (!QDir().mkpath(dataDirectory))
        return makeError("cannot create the data folder " + dataDirectory.toStdString());
    std::unique_ptr<LocalBackend> backend(new LocalBackend);
    backend->databasePath_ = QDir(dataDirectory).filePath(QStringLiteral("parley.db"));
    backend->registry_ = std::make_shared<serving::ModelRegistry>();
    backend->core_ = std::make_unique<chat::ChatCore>(
        chat::ChatCoreConfig{.databasePath = backend->databasePath_,
                             .models = backend->registry_.get(),
                             .settings = std::move(settings),
                             .hooks = {}});

    const QString userFile = QDir(dataDirectory).filePath(QStringLiteral("local-user-id"));
    QString userId;
    QFile existing(userFile);
    if (existing.open(QIODevice::ReadOnly))
        userId = QString::fromUtf8(existing.readAll()).trimmed();
    if (userId.isEmpty()) {
        Result<QString> created = createLocalUser(*backend->core_);
        if (!created)
            return makeError("cannot create the local user in " +
                             backend->databasePath_.toStdString() + ": " + created.error().message);
        userId = created.value();
        QSaveFile file(userFile);
        if (!file.open(QIODevice::WriteOnly) || file.write(userId.toUtf8()) < 0 || !file.commit())
            return makeError("cannot write " + userFile.toStdString() + ": " +
                             file.errorString().toStdString());
    }
    backend->service_ = std::make_unique<chat::LocalChatService>(*backend->core_, userId);
    return backend;
}

LocalBackend::~LocalBackend() = default;

}  // namespace parley::app
