#include "app_settings.h"

#include <QDir>
#include <QStandardPaths>

namespace parley::app {

namespace {

constexpr double kDefaultTemperature = 0.7;
constexpr double kDefaultTopP = 0.95;
constexpr int kDefaultTopK = 40;
constexpr int kDefaultMaxTokens = 512;
constexpr int kDefaultServerPort = 8765;

}  // namespace

AppSettings::AppSettings(const QString& iniPath, QObject* parent) : QObject(parent) {
    if (iniPath.isEmpty())
        settings_ = std::make_unique<QSettings>(QSettings::IniFormat, QSettings::UserScope,
                                                QStringLiteral("Parley"), QStringLiteral("parley"));
    else
        settings_ = std::make_unique<QSettings>(iniPath, QSettings::IniFormat);
}

QVariant AppSettings::read(const QString& key, const QVariant& fallback) const {
    return settings_->value(key, fallback);
}

void AppSettings::write(const QString& key, const QVariant& value) {
    if (settings_->value(key) == value)
        return;
    settings_->setValue(key, value);
    settings_->sync();
    emit changed();
}

QString AppSettings::systemPrompt() const {
    return read(QStringLiteral("generation/systemPrompt"), QString()).toString();
}
void AppSettings::setSystemPrompt(const QString& value) {
    write(QStringLiteral("generation/systemPrompt"), value);
}
double AppSettings::temperature() const {
    return read(QStringLiteral("generation/temperature"), kDefaultTemperature).toDouble();
}
void AppSettings::setTemperature(double value) {
    write(QStringLiteral("generation/temperature"), qBound(0.0, value, 2.0));
}
double AppSettings::topP() const {
    return read(QStringLiteral("generation/topP"), kDefaultTopP).toDouble();
}
void AppSettings::setTopP(double value) {
    write(QStringLiteral("generation/topP"), qBound(0.0, value, 1.0));
}
int AppSettings::topK() const {
    return read(QStringLiteral("generation/topK"), kDefaultTopK).toInt();
}
void AppSettings::setTopK(int value) {
    write(QStringLiteral("generation/topK"), qMax(0, value));
}
int AppSettings::maxTokens() const {
    return read(QStringLiteral("generation/maxTokens"), kDefaultMaxTokens).toInt();
}
void AppSettings::setMaxTokens(int value) {
    write(QStringLiteral("generation/maxTokens"), qMax(1, value));
}
AppSettings::Theme AppSettings::theme() const {
    return static_cast<Theme>(
        read(QStringLiteral("ui/theme"), static_cast<int>(Theme::System)).toInt());
}
void AppSettings::setTheme(Theme value) {
    write(QStringLiteral("ui/theme"), static_cast<int>(value));
}
QString AppSettings::dataLocation() const {
    return read(QStringLiteral("storage/dataLocation"),
                QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .toString();
}
void AppSettings::setDataLocation(const QString& value) {
    write(QStringLiteral("storage/dataLocation"), QDir::cleanPath(value));
}
QString AppSettings::defaultModel() const {
    return read(QStringLiteral("models/default"), QString()).toString();
}
void AppSettings::setDefaultModel(const QString& value) {
    write(QStringLiteral("models/default"), value);
}
QStringList AppSettings::extraModelPaths() const {
    return read(QStringLiteral("models/extraPaths"), QStringList()).toStringList();
}
void AppSettings::setExtraModelPaths(const QStringList& value) {
    write(QStringLiteral("models/extraPaths"), value);
}

// Keyed by thread id in a group of their own; a thread without an entry uses the default model.
QString AppSettings::threadModel(const QString& conversationId) const {
    return read(QStringLiteral("threadModels/") + conversationId, QString()).toString();
}
void AppSettings::setThreadModel(const QString& conversationId, const QString& model) {
    if (conversationId.isEmpty())
        return;
    const QString key = QStringLiteral("threadModels/") + conversationId;
    if (!model.isEmpty()) {
        write(key, model);
    } else if (settings_->contains(key)) {
        settings_->remove(key);
        settings_->sync();
        emit changed();
    }
}

bool AppSettings::serverEnabled() const {
    return read(QStringLiteral("server/enabled"), false).toBool();
}
void AppSettings::setServerEnabled(bool value) {
    write(QStringLiteral("server/enabled"), value);
}
QString AppSettings::serverAddress() const {
    return read(QStringLiteral("server/address"), QStringLiteral("127.0.0.1")).toString();
}
void AppSettings::setServerAddress(const QString& value) {
    write(QStringLiteral("server/address"), value.trimmed());
}
int AppSettings::serverPort() const {
    return read(QStringLiteral("server/port"), kDefaultServerPort).toInt();
}
void AppSettings::setServerPort(int value) {
    write(QStringLiteral("server/port"), qBound(1, value, 65535));
}
QString AppSettings::serverCertificate() const {
    return read(QStringLiteral("server/certificate"), QString()).toString();
}
void AppSettings::setServerCertificate(const QString& value) {
    write(QStringLiteral("server/certificate"), value);
}
QString AppSettings::serverKey() const {
    return read(QStringLiteral("server/key"), QString()).toString();
}
void AppSettings::setServerKey(const QString& value) {
    write(QStringLiteral("server/key"), value);
}
bool AppSettings::remoteEnabled() const {
    return read(QStringLiteral("remote/enabled"), false).toBool();
}
void AppSettings::setRemoteEnabled(bool value) {
    write(QStringLiteral("remote/enabled"), value);
}
QString AppSettings::remoteUrl() const {
    return read(QStringLiteral("remote/url"), QString()).toString();
}
void AppSettings::setRemoteUrl(const QString& value) {
    write(QStringLiteral("remote/url"), value.trimmed());
}
QString AppSettings::remoteApiKey() const {
    return read(QStringLiteral("remote/apiKey"), QString()).toString();
}
void AppSettings::setRemoteApiKey(const QString& value) {
    write(QStringLiteral("remote/apiKey"), value.trimmed());
}

chat::GenerationOptions AppSettings::generationOptions() const {
    chat::GenerationOptions options;
    options.temperature = temperature();
    options.topP = topP();
    options.topK = topK();
    options.maxTokens = maxTokens();
    options.systemPrompt = systemPrompt();
    return options;
}

void AppSettings::resetGeneration() {
    for (const char* key : {"generation/systemPrompt", "generation/temperature", "generation/topP",
                            "generation/topK", "generation/maxTokens"})
        settings_->remove(QLatin1String(key));
    settings_->sync();
    emit changed();
}

}  // namespace parley::app
