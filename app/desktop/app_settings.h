// The user's preferences, kept in an INI file (QSettings): system prompt, generation parameters,
// theme, where the data lives, the default model, and the server/remote connection settings.
// Every property writes through at once, so a crash loses nothing the user set.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QSettings>
#include <QString>

#include <memory>

#include "chat/chat_service.h"

namespace parley::app {

class AppSettings : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("AppSettings belongs to the AppSession")

  public:
    enum class Theme { System, Light, Dark };
    Q_ENUM(Theme)

    /** Prepended to every conversation that has no system prompt of its own; empty: the chat
        service's built-in prompt. */
    Q_PROPERTY(QString systemPrompt READ systemPrompt WRITE setSystemPrompt NOTIFY changed)
    Q_PROPERTY(double temperature READ temperature WRITE setTemperature NOTIFY changed)
    Q_PROPERTY(double topP READ topP WRITE setTopP NOTIFY changed)
    Q_PROPERTY(int topK READ topK WRITE setTopK NOTIFY changed)
    /** Longest answer in tokens. */
    Q_PROPERTY(int maxTokens READ maxTokens WRITE setMaxTokens NOTIFY changed)
    Q_PROPERTY(Theme theme READ theme WRITE setTheme NOTIFY changed)
    /** Folder holding the conversation database; takes effect at the next start. */
    Q_PROPERTY(QString dataLocation READ dataLocation WRITE setDataLocation NOTIFY changed)
    /** Model id loaded at start and used when a thread names none. */
    Q_PROPERTY(QString defaultModel READ defaultModel WRITE setDefaultModel NOTIFY changed)
    /** GGUF files added from outside the models folder, loaded at start. */
    Q_PROPERTY(
        QStringList extraModelPaths READ extraModelPaths WRITE setExtraModelPaths NOTIFY changed)

    /** Server mode: expose this app's gateway on the network. */
    Q_PROPERTY(bool serverEnabled READ serverEnabled WRITE setServerEnabled NOTIFY changed)
    Q_PROPERTY(QString serverAddress READ serverAddress WRITE setServerAddress NOTIFY changed)
    Q_PROPERTY(int serverPort READ serverPort WRITE setServerPort NOTIFY changed)
    Q_PROPERTY(
        QString serverCertificate READ serverCertificate WRITE setServerCertificate NOTIFY changed)
    Q_PROPERTY(QString serverKey READ serverKey WRITE setServerKey NOTIFY changed)
    /** Remote mode: use a Parley server instead of the bundled engine (next start). */
    Q_PROPERTY(bool remoteEnabled READ remoteEnabled WRITE setRemoteEnabled NOTIFY changed)
    Q_PROPERTY(QString remoteUrl READ remoteUrl WRITE setRemoteUrl NOTIFY changed)
    Q_PROPERTY(QString remoteApiKey READ remoteApiKey WRITE setRemoteApiKey NOTIFY changed)

    // `iniPath` empty: the platform's usual settings file for Parley.
    explicit AppSettings(const QString& iniPath = {}, QObject* parent = nullptr);

    QString systemPrompt() const;
    void setSystemPrompt(const QString& value);
    double temperature() const;
    void setTemperature(double value);
    double topP() const;
    void setTopP(double value);
    int topK() const;
    void setTopK(int value);
    int maxTokens() const;
    void setMaxTokens(int value);
    Theme theme() const;
    void setTheme(Theme value);
    QString dataLocation() const;
    void setDataLocation(const QString& value);
    QString defaultModel() const;
    void setDefaultModel(const QString& value);
    QStringList extraModelPaths() const;
    void setExtraModelPaths(const QStringList& value);
    /** The model chosen for a thread; empty: the default model. */
    QString threadModel(const QString& conversationId) const;
    /** Remembers `model` for the thread (empty forgets it: the default model again). */
    void setThreadModel(const QString& conversationId, const QString& model);

    bool serverEnabled() const;
    void setServerEnabled(bool value);
    QString serverAddress() const;
    void setServerAddress(const QString& value);
    int serverPort() const;
    void setServerPort(int value);
    QString serverCertificate() const;
    void setServerCertificate(const QString& value);
    QString serverKey() const;
    void setServerKey(const QString& value);
    bool remoteEnabled() const;
    void setRemoteEnabled(bool value);
    QString remoteUrl() const;
    void setRemoteUrl(const QString& value);
    QString remoteApiKey() const;
    void setRemoteApiKey(const QString& value);

    /** The generation options these settings give an answer. */
    chat::GenerationOptions generationOptions() const;
    /** Restores every generation parameter and the system prompt to the defaults. */
    Q_INVOKABLE void resetGeneration();

  signals:
    void changed();

  private:
    QVariant read(const QString& key, const QVariant& fallback) const;
    void write(const QString& key, const QVariant& value);

    std::unique_ptr<QSettings> settings_;
};

}  // namespace parley::app
