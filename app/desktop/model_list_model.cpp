#include "model_list_model.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include "app_logging.h"
#include "app_settings.h"

namespace parley::app {

namespace {

// A load's progress value: kProgressStart while the file is opened, then up to
// kProgressStart + kProgressSteps as the weights are read.
constexpr int kProgressStart = 1;
constexpr int kProgressSteps = 1000;

}  // namespace

ModelListModel::ModelListModel(std::shared_ptr<serving::ModelRegistry> registry,
                               AppSettings* settings, std::filesystem::path modelsDirectory,
                               QObject* parent)
    : QAbstractListModel(parent),
      registry_(std::move(registry)),
      settings_(settings),
      directory_(std::move(modelsDirectory)) {}

int ModelListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

QVariant ModelListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const catalog::ModelEntry& entry = entries_[static_cast<size_t>(index.row())];
    const QString id = QString::fromStdString(entry.id);
    switch (role) {
        case ModelIdRole:
            return id;
        case Qt::DisplayRole:
        case DisplayNameRole:
            return QString::fromStdString(entry.displayName);
        case ArchitectureRole:
            return QString::fromStdString(entry.architecture);
        case FileSizeRole:
            return static_cast<double>(entry.fileBytes);
        case PathRole:
            return QString::fromStdString(entry.path.string());
        case TensorCountRole:
            return static_cast<double>(entry.tensorCount);
        case ErrorRole:
            return entry.error.empty() ? loadErrors_.value(id)
                                       : QString::fromStdString(entry.error);
        case LoadedRole:
            return remote() || (registry_->find(entry.id) != nullptr && !id.isEmpty());
        case LoadingRole:
            return loading_.contains(id);
        case IsDefaultRole:
            return !id.isEmpty() && defaultModel() == id;
        case ProgressRole:
            return progress_.value(id).fraction;
        case ProgressTextRole:
            return progress_.value(id).text;
        default:
            return {};
    }
}

QHash<int, QByteArray> ModelListModel::roleNames() const {
    return {{ModelIdRole, "modelId"},
            {DisplayNameRole, "displayName"},
            {ArchitectureRole, "architecture"},
            {FileSizeRole, "fileSize"},
            {PathRole, "path"},
            {TensorCountRole, "tensorCount"},
            {ErrorRole, "error"},
            {LoadedRole, "loaded"},
            {LoadingRole, "loading"},
            {IsDefaultRole, "isDefault"},
            {ProgressRole, "progress"},
            {ProgressTextRole, "progressText"}};
}

QString ModelListModel::modelsDirectory() const {
    return QString::fromStdString(directory_.string());
}

QString ModelListModel::defaultModel() const {
    if (remote())
        return serviceDefault_;
    const std::string loadedDefault = registry_->defaultId();
    if (!loadedDefault.empty())
        return QString::fromStdString(loadedDefault);
    return settings_ ? settings_->defaultModel() : QString();
}

QStringList ModelListModel::loadedModels() const {
    QStringList ids;
    if (remote()) {
        for (const catalog::ModelEntry& entry : entries_)
            ids.append(QString::fromStdString(entry.id));
        return ids;
    }
    for (const auto& model : registry_->models())
        ids.append(QString::fromStdString(model->id));
    return ids;
}

void ModelListModel::setError(const QString& text) {
    if (!text.isEmpty())
        qCWarning(lcApp) << "models:" << text;
    if (errorText_ == text)
        return;
    errorText_ = text;
    emit errorTextChanged();
}

void ModelListModel::rowChanged(const QString& modelId) {
    const int row = rowOf(modelId);
    if (row >= 0)
        emit dataChanged(index(row), index(row));
}

int ModelListModel::rowOf(const QString& modelId) const {
    for (size_t i = 0; i < entries_.size(); ++i)
        if (QString::fromStdString(entries_[i].id) == modelId)
            return static_cast<int>(i);
    return -1;
}

void ModelListModel::scan(std::function<void()> then) {
    scanning_ = true;
    emit busyChanged();
    const QStringList extra = settings_ ? settings_->extraModelPaths() : QStringList();
    auto* watcher = new QFutureWatcher<std::vector<catalog::ModelEntry>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, then = std::move(then)] {
        scanning_ = false;
        setEntries(watcher->result());
        watcher->deleteLater();
        emit busyChanged();
        if (then)
            then();
    });
    watcher->setFuture(QtConcurrent::run([directory = directory_, extra] {
        std::vector<catalog::ModelEntry> entries = catalog::scanModels(directory);
        for (const QString& path : extra) {
            const QFileInfo info(path);
            for (catalog::ModelEntry& entry :
                 catalog::scanModels(info.absolutePath().toStdString()))
                if (entry.path.filename() == info.fileName().toStdString() &&
                    std::none_of(entries.begin(), entries.end(),
                                 [&](const auto& e) { return e.id == entry.id; }))
                    entries.push_back(std::move(entry));
        }
        return entries;
    }));
}

void ModelListModel::setEntries(std::vector<catalog::ModelEntry> entries) {
    const int before = rowCount();
    beginResetModel();
    entries_ = std::move(entries);
    endResetModel();
    if (before != rowCount())
        emit countChanged();
}

void ModelListModel::refresh() {
    if (remote())
        fetchServiceModels();
    else
        scan({});
}

void ModelListModel::showServiceModels(chat::ChatService* service) {
    service_ = service;
    setEntries({});
    serviceDefault_.clear();
    emit remoteChanged();
    emit loadedModelsChanged();
    emit defaultModelChanged();
}

void ModelListModel::fetchServiceModels() {
    scanning_ = true;
    emit busyChanged();
    service_->models([self = QPointer(this)](Result<std::vector<chat::ModelInfo>> models) {
        if (!self)
            return;
        self->scanning_ = false;
        emit self->busyChanged();
        if (!models) {
            self->setError(tr("The server's models could not be listed: %1")
                               .arg(QString::fromStdString(models.error().message)));
            return;
        }
        self->setError({});
        std::vector<catalog::ModelEntry> entries;
        self->serviceDefault_.clear();
        for (const chat::ModelInfo& info : models.value()) {
            entries.push_back(
                {.id = info.id.toStdString(),
                 .path = {},
                 .fileBytes = 0,
                 .architecture = info.architecture.toStdString(),
                 .displayName =
                     (info.displayName.isEmpty() ? info.id : info.displayName).toStdString(),
                 .tensorCount = 0,
                 .error = {}});
            if (info.isDefault)
                self->serviceDefault_ = info.id;
        }
        self->setEntries(std::move(entries));
        emit self->loadedModelsChanged();
        emit self->defaultModelChanged();
    });
}

bool ModelListModel::refuseRemote(const QString& what) {
    if (!remote())
        return false;
    setError(tr("%1 is the server's business: this app uses a remote server's models.").arg(what));
    return true;
}

QString ModelListModel::pickDefault() const {
    const QString remembered = settings_ ? settings_->defaultModel() : QString();
    if (!remembered.isEmpty() && rowOf(remembered) >= 0)
        return remembered;
    // A chat model: not an embedding model, an instruction-tuned one when there is a choice.
    QString fallback;
    for (const catalog::ModelEntry& entry : entries_) {
        if (!entry.error.empty() || entry.architecture == "bert")
            continue;
        const QString id = QString::fromStdString(entry.id);
        if (id.contains(QLatin1String("instruct"), Qt::CaseInsensitive) ||
            id.contains(QLatin1String("-it"), Qt::CaseInsensitive))
            return id;
        if (fallback.isEmpty())
            fallback = id;
    }
    return fallback;
}

void ModelListModel::loadDefault() {
    if (remote()) {
        fetchServiceModels();
        return;
    }
    scan([this] {
        const QString id = pickDefault();
        if (id.isEmpty()) {
            setError(tr("No model is installed in %1. Run packaging/setup.sh or add a GGUF file.")
                         .arg(modelsDirectory()));
            emit noDefaultModel();
            return;
        }
        loadDefaultPending_ = true;
        load(id);
    });
}

void ModelListModel::load(const QString& modelId) {
    if (refuseRemote(tr("Loading a model")))
        return;
    const int row = rowOf(modelId);
    if (row < 0 || loading_.contains(modelId) || registry_->find(modelId.toStdString()))
        return;
    startLoad(modelId, entries_[static_cast<size_t>(row)].path, false);
}

void ModelListModel::startLoad(const QString& modelId, const std::filesystem::path& path,
                               bool remember) {
    loading_.insert(modelId);
    loadErrors_.remove(modelId);
    setProgress(modelId, {-1, tr("Opening the file…")});
    emit busyChanged();
    auto* watcher = new QFutureWatcher<LoadOutcome>(this);
    const QString pathText = QString::fromStdString(path.string());
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, remember, pathText] {
        finishLoad(watcher->result(), remember, pathText);
        watcher->deleteLater();
    });
    // The registry reports from the loading thread; the promise carries it to the watcher on
    // this thread (at most 25 updates a second, the last one always).
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this,
            [this, modelId, watcher](int value) {
                if (value > kProgressStart)
                    setProgress(modelId, {double(value - kProgressStart) / kProgressSteps,
                                          watcher->progressText()});
            });
    watcher->setFuture(QtConcurrent::run([registry = registry_, modelId,
                                          path](QPromise<LoadOutcome>& promise) {
        promise.setProgressRange(0, kProgressStart + kProgressSteps);
        auto loaded = registry->load(
            path, modelId.toStdString(), [&promise](const serving::LoadProgress& progress) {
                if (progress.stage != serving::LoadProgress::Stage::Reading ||
                    progress.bytesTotal <= 0)
                    return;
                const int step =
                    static_cast<int>(progress.bytesDone * kProgressSteps / progress.bytesTotal);
                promise.setProgressValueAndText(
                    kProgressStart + step, tr("Reading the weights: %1 of %2 tensors, %3 of %4 MB")
                                               .arg(progress.tensorsDone)
                                               .arg(progress.tensorsTotal)
                                               .arg(progress.bytesDone / 1000000)
                                               .arg(progress.bytesTotal / 1000000));
            });
        promise.addResult(LoadOutcome{
            modelId, loaded ? QString() : QString::fromStdString(loaded.error().message)});
    }));
}

void ModelListModel::setProgress(const QString& modelId, Progress progress) {
    if (progress.text.isEmpty())
        progress_.remove(modelId);
    else
        progress_.insert(modelId, std::move(progress));
    rowChanged(modelId);
}

void ModelListModel::finishLoad(const LoadOutcome& outcome, bool remember, const QString& path) {
    loading_.remove(outcome.id);
    progress_.remove(outcome.id);
    const bool wasDefaultLoad = std::exchange(loadDefaultPending_, false);
    if (!outcome.error.isEmpty()) {
        loadErrors_.insert(outcome.id, outcome.error);
        setError(tr("%1 could not be loaded: %2").arg(outcome.id, outcome.error));
        if (wasDefaultLoad)
            emit noDefaultModel();
    } else {
        setError({});
        if (remember && settings_) {
            QStringList extra = settings_->extraModelPaths();
            if (!extra.contains(path)) {
                extra.append(path);
                settings_->setExtraModelPaths(extra);
            }
        }
        const QString wanted = settings_ ? settings_->defaultModel() : QString();
        if (wanted == outcome.id || wanted.isEmpty()) {
            const Status status = registry_->setDefault(outcome.id.toStdString());
            if (!status)
                setError(QString::fromStdString(status.error().message));
        }
        emit modelLoaded(outcome.id);
    }
    if (remember && rowOf(outcome.id) < 0 && outcome.error.isEmpty())
        refresh();
    rowChanged(outcome.id);
    emit busyChanged();
    emit loadedModelsChanged();
    emit defaultModelChanged();
}

void ModelListModel::unload(const QString& modelId) {
    if (refuseRemote(tr("Unloading a model")))
        return;
    if (loading_.contains(modelId) || !registry_->find(modelId.toStdString()))
        return;
    loading_.insert(modelId);
    setProgress(modelId, {-1, tr("Unloading…")});
    emit busyChanged();
    // The registry lets go of the model here; when no answer holds it any more, its engine
    // stops and its memory is released, which may take a moment.
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, modelId] {
        finishUnload(modelId, watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run([registry = registry_, modelId] {
        const Status status = registry->unload(modelId.toStdString());
        return status ? QString() : QString::fromStdString(status.error().message);
    }));
}

void ModelListModel::finishUnload(const QString& modelId, const QString& error) {
    loading_.remove(modelId);
    progress_.remove(modelId);
    if (!error.isEmpty())
        setError(tr("%1 could not be unloaded: %2").arg(modelId, error));
    rowChanged(modelId);
    emit busyChanged();
    emit loadedModelsChanged();
    emit defaultModelChanged();
}

void ModelListModel::setDefault(const QString& modelId) {
    if (refuseRemote(tr("Choosing the default model")))
        return;
    if (settings_)
        settings_->setDefaultModel(modelId);
    if (registry_->find(modelId.toStdString())) {
        const Status status = registry_->setDefault(modelId.toStdString());
        if (!status)
            setError(QString::fromStdString(status.error().message));
    } else {
        load(modelId);
    }
    for (int row = 0; row < rowCount(); ++row)
        emit dataChanged(index(row), index(row), {IsDefaultRole});
    emit defaultModelChanged();
}

void ModelListModel::addFile(const QUrl& url) {
    if (refuseRemote(tr("Adding a model")))
        return;
    const QFileInfo info(url.isLocalFile() ? url.toLocalFile() : url.toString());
    if (!info.isFile()) {
        setError(tr("%1 is not a file.").arg(info.filePath()));
        return;
    }
    QString id = info.completeBaseName();
    if (info.suffix().compare(QLatin1String("gguf"), Qt::CaseInsensitive) != 0)
        id = info.fileName();
    if (registry_->find(id.toStdString())) {
        setError(tr("A model named %1 is already loaded.").arg(id));
        return;
    }
    startLoad(id, info.absoluteFilePath().toStdString(), true);
}

}  // namespace parley::app
