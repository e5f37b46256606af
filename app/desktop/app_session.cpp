#include "app_session.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QPalette>

#include "app_logging.h"

namespace parley::app {

AppSession::AppSession(AppSettings* settings, chat::ChatService* service,
                       std::shared_ptr<serving::ModelRegistry> registry,
                       std::filesystem::path modelsDirectory, QElapsedTimer startTimer,
                       QObject* parent)
    : QObject(parent),
      settings_(settings),
      service_(service),
      registry_(registry),
      renderer_(&highlighter_),
      threads_(service),
      chat_(service, settings, &renderer_),
      models_(registry, settings, std::move(modelsDirectory)),
      server_(std::move(registry), settings, settings->dataLocation()),
      startTimer_(startTimer) {
    lastDark_ = darkTheme();
    chat_.messages()->setDarkTheme(lastDark_);
    connect(settings_, &AppSettings::changed, this, [this] {
        if (darkTheme() == lastDark_)
            return;
        lastDark_ = darkTheme();
        chat_.messages()->setDarkTheme(lastDark_);
        emit darkThemeChanged();
    });
    connect(&chat_, &ChatController::conversationCreated, &threads_,
            &ConversationListModel::refresh);
    connect(&chat_, &ChatController::answerFinished, &threads_, &ConversationListModel::refresh);
    const auto followTitle = [this] {
        const QString title = threads_.titleOf(chat_.conversationId());
        if (!title.isEmpty())
            chat_.setTitle(title);
    };
    connect(&threads_, &QAbstractItemModel::modelReset, this, followTitle);
    connect(&threads_, &QAbstractItemModel::dataChanged, this, followTitle);
    connect(&threads_, &ConversationListModel::conversationDeleted, this,
            [this](const QString& id) {
                if (chat_.conversationId() == id)
                    chat_.newConversation();
                settings_->setThreadModel(id, {});
            });
    connect(&models_, &ModelListModel::modelLoaded, this, [this](const QString& id) {
        if (!remote_)
            becomeReady(QStringLiteral("model %1 loaded").arg(id));
    });
    connect(&models_, &ModelListModel::noDefaultModel, this,
            [this] { setStatus(models_.errorText()); });
}

bool AppSession::darkTheme() const {
    switch (settings_->theme()) {
        case AppSettings::Theme::Dark:
            return true;
        case AppSettings::Theme::Light:
            return false;
        case AppSettings::Theme::System:
            break;
    }
    // Qt 6.4 has no QStyleHints::colorScheme(); the platform palette tells the same.
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

void AppSession::setStatus(const QString& text) {
    if (statusText_ == text)
        return;
    statusText_ = text;
    emit statusTextChanged();
}

void AppSession::becomeReady(const QString& what) {
    if (ready_)
        return;
    ready_ = true;
    readyMs_ = static_cast<int>(startTimer_.elapsed());
    qCInfo(lcApp).noquote() << "ready:" << what << readyMs_ << "ms after start";
    setStatus({});
    emit readyChanged();
}

void AppSession::setRemote(const QString& serverUrl) {
    remote_ = true;
    remoteUrl_ = serverUrl;
    models_.showServiceModels(service_);
    server_.setUnavailable(tr("This app uses the remote server %1, so it has no models of its "
                              "own to share. Turn the remote server off to use server mode.")
                               .arg(serverUrl));
}

void AppSession::setRemoteConnected(bool connected, const QString& error) {
    if (connected) {
        becomeReady(QStringLiteral("connected to %1").arg(remoteUrl_));
        threads_.refresh();
        models_.refresh();
        return;
    }
    if (ready_) {
        ready_ = false;
        emit readyChanged();
    }
    setStatus(error.isEmpty() ? tr("Reconnecting to %1…").arg(remoteUrl_)
                              : tr("Cannot reach %1: %2. Check the URL and key in the settings.")
                                    .arg(remoteUrl_, error));
}

void AppSession::start() {
    if (remote_) {
        setStatus(tr("Connecting to %1…").arg(remoteUrl_));
    } else {
        setStatus(tr("Loading the model…"));
        models_.loadDefault();
    }
    threads_.refresh();
    server_.start();
}

void AppSession::copyText(const QString& text) {
    if (QGuiApplication::clipboard() != nullptr)
        QGuiApplication::clipboard()->setText(text);
}

}  // namespace parley::app
