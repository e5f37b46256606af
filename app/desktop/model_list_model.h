// The model manager's list: every GGUF file in the models folder (catalog::scanModels) plus the
// files the user added from elsewhere, with their header facts, whether each is loaded in the
// ModelRegistry, and which one is the default. Scanning, loading (with its progress), unloading
// and validating an added file run off the UI thread; a file the loader refuses keeps its error
// in the list. In remote mode
// (showServiceModels) it lists the remote server's models instead, all loaded, none local.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QPointer>
#include <QSet>
#include <QUrl>

#include <filesystem>
#include <memory>
#include <vector>

#include "chat/chat_service.h"
#include "inference/catalog/model_catalog.h"
#include "serving/model_registry.h"

namespace parley::app {

class AppSettings;

class ModelListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ModelListModel belongs to the AppSession")

    Q_PROPERTY(QString modelsDirectory READ modelsDirectory CONSTANT)
    /** Some model is loading or the folder is being scanned. */
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(QString defaultModel READ defaultModel NOTIFY defaultModelChanged)
    /** Ids of the loaded models, for the per-thread model picker. */
    Q_PROPERTY(QStringList loadedModels READ loadedModels NOTIFY loadedModelsChanged)
    /** The last failure, readable; empty when the last action worked. */
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    /** The list is a remote server's models: nothing to load, unload or add here. */
    Q_PROPERTY(bool remote READ remote NOTIFY remoteChanged)

  public:
    enum Role {
        ModelIdRole = Qt::UserRole + 1, /**< file name without .gguf */
        DisplayNameRole,                /**< general.name, or the id */
        ArchitectureRole,               /**< general.architecture ("llama", "gemma3", "bert") */
        FileSizeRole,                   /**< bytes, as a double (QML numbers) */
        PathRole,                       /**< local path of the file */
        TensorCountRole,                /**< tensors in the file */
        ErrorRole,                      /**< why the header or the load failed; "" when fine */
        LoadedRole,                     /**< bool: in the registry, ready to answer */
        LoadingRole,                    /**< bool: a load or unload is under way */
        IsDefaultRole,                  /**< bool: answers when a thread names no model */
        ProgressRole,     /**< how much of a load is done, 0 to 1; -1: not known yet */
        ProgressTextRole, /**< what the load or unload is doing, readable; "" when idle */
    };
    Q_ENUM(Role)

    ModelListModel(std::shared_ptr<serving::ModelRegistry> registry, AppSettings* settings,
                   std::filesystem::path modelsDirectory, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString modelsDirectory() const;
    bool busy() const { return scanning_ || !loading_.isEmpty(); }
    QString defaultModel() const;
    QStringList loadedModels() const;
    QString errorText() const { return errorText_; }
    bool remote() const { return service_ != nullptr; }

    /** From now on lists `service`'s models (ChatService::models()) instead of the local files;
     * `service` outlives this model. */
    void showServiceModels(chat::ChatService* service);

    /** Scans the folder again (off the UI thread), or asks the remote server. */
    Q_INVOKABLE void refresh();
    Q_INVOKABLE void load(const QString& modelId);
    Q_INVOKABLE void unload(const QString& modelId);
    Q_INVOKABLE void setDefault(const QString& modelId);
    /** Validates a GGUF file by loading it; on success it is listed, loaded and remembered. */
    Q_INVOKABLE void addFile(const QUrl& url);
    /** Scans, then loads the settings' default model or else the first chat model found. */
    Q_INVOKABLE void loadDefault();
    Q_INVOKABLE int rowOf(const QString& modelId) const;

  signals:
    void busyChanged();
    void defaultModelChanged();
    void loadedModelsChanged();
    void errorTextChanged();
    void countChanged();
    void remoteChanged();
    void modelLoaded(const QString& modelId);
    /** loadDefault() found nothing to load (no model installed), or its load failed. */
    void noDefaultModel();

  private:
    struct LoadOutcome {
        QString id;
        QString error;
    };
    struct Progress {
        double fraction = -1;
        QString text;
    };
    void scan(std::function<void()> then);
    void fetchServiceModels();
    bool refuseRemote(const QString& what);
    void setEntries(std::vector<catalog::ModelEntry> entries);
    void startLoad(const QString& modelId, const std::filesystem::path& path, bool remember);
    void finishLoad(const LoadOutcome& outcome, bool remember, const QString& path);
    void finishUnload(const QString& modelId, const QString& error);
    void setProgress(const QString& modelId, Progress progress);
    void setError(const QString& text);
    void rowChanged(const QString& modelId);
    QString pickDefault() const;

    std::shared_ptr<serving::ModelRegistry> registry_;
    QPointer<AppSettings> settings_;
    std::filesystem::path directory_;
    std::vector<catalog::ModelEntry> entries_;
    QHash<QString, QString> loadErrors_;
    QSet<QString> loading_;  // being loaded or unloaded
    QHash<QString, Progress> progress_;
    QString errorText_;
    chat::ChatService* service_ = nullptr;
    QString serviceDefault_;
    bool scanning_ = false;
    bool loadDefaultPending_ = false;
};

}  // namespace parley::app
