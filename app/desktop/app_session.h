// Everything the views use, made once by main() and handed to Main.qml as its required
// `session` property (Qt 6's replacement for context properties): the settings, the thread list,
// the chat controller, the model manager and the resolved theme. The ChatService, the models
// registry and the store stay in C++ behind it.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QElapsedTimer>
#include <QObject>

#include <filesystem>
#include <memory>

#include "app_settings.h"
#include "chat_controller.h"
#include "code_highlighter.h"
#include "conversation_list_model.h"
#include "markdown_renderer.h"
#include "model_list_model.h"
#include "server_mode.h"

namespace parley::app {

class AppSession : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by main()")

    Q_PROPERTY(parley::app::AppSettings* settings READ settings CONSTANT)
    Q_PROPERTY(parley::app::ConversationListModel* threads READ threads CONSTANT)
    Q_PROPERTY(parley::app::ChatController* chat READ chat CONSTANT)
    Q_PROPERTY(parley::app::ModelListModel* models READ models CONSTANT)
    Q_PROPERTY(parley::app::ServerMode* server READ server CONSTANT)
    /** The theme to draw: the setting, or the system's palette when the setting is System. */
    Q_PROPERTY(bool darkTheme READ darkTheme NOTIFY darkThemeChanged)
    /** A model is loaded: the composer accepts questions. */
    Q_PROPERTY(bool ready READ ready NOTIFY readyChanged)
    /** What the app is doing or why it cannot answer, for the status line. */
    Q_PROPERTY(QString statusText READ statusText NOTIFY statusTextChanged)
    /** The chats run on a remote Parley server (settings: remote server), not the bundled engine.
     */
    Q_PROPERTY(bool remote READ remote CONSTANT)
    /** Milliseconds from process start to a loaded default model (0 until then). */
    Q_PROPERTY(int readyMs READ readyMs NOTIFY readyChanged)

  public:
    // `service` and `registry` outlive the session; `startTimer` started when the process did.
    // Server mode serves `registry` from the database in the settings' data location.
    AppSession(AppSettings* settings, chat::ChatService* service,
               std::shared_ptr<serving::ModelRegistry> registry,
               std::filesystem::path modelsDirectory, QElapsedTimer startTimer,
               QObject* parent = nullptr);

    AppSettings* settings() { return settings_; }
    ConversationListModel* threads() { return &threads_; }
    ChatController* chat() { return &chat_; }
    ModelListModel* models() { return &models_; }
    ServerMode* server() { return &server_; }
    bool darkTheme() const;
    bool ready() const { return ready_; }
    QString statusText() const { return statusText_; }
    int readyMs() const { return readyMs_; }

    bool remote() const { return remote_; }
    // Before start(): the service is a remote server's, which is ready once it is connected.
    void setRemote(const QString& serverUrl);
    // A remote service reports its connection: connected, or why not.
    void setRemoteConnected(bool connected, const QString& error = {});

    /** Loads the default model (unless remote), the thread list and server mode (when on), once
     * the window is up. */
    Q_INVOKABLE void start();
    /** Copies text to the clipboard. */
    Q_INVOKABLE void copyText(const QString& text);

  signals:
    void darkThemeChanged();
    void readyChanged();
    void statusTextChanged();

  private:
    void setStatus(const QString& text);
    void becomeReady(const QString& what);

    AppSettings* settings_;
    chat::ChatService* service_;
    std::shared_ptr<serving::ModelRegistry> registry_;
    CodeHighlighter highlighter_;
    MarkdownRenderer renderer_;
    ConversationListModel threads_;
    ChatController chat_;
    ModelListModel models_;
    ServerMode server_;
    QElapsedTimer startTimer_;
    bool ready_ = false;
    bool remote_ = false;
    QString remoteUrl_;
    bool lastDark_ = false;
    int readyMs_ = 0;
    QString statusText_;
};

}  // namespace parley::app
