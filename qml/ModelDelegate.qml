import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// One model file: name, architecture, size, state, and its actions.
Frame {
    id: root

    required property string modelId
    required property string displayName
    required property string architecture
    required property double fileSize
    required property double tensorCount
    required property string error
    required property bool loaded
    required property bool loading
    required property bool isDefault
    required property double progress
    required property string progressText
    required property ModelListModel models

    RowLayout {
        anchors.fill: parent
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            Label {
                Layout.fillWidth: true
                elide: Text.ElideRight
                text: root.displayName + (root.isDefault ? qsTr("  (default)") : "")
                font.bold: true
            }
            Label {
                Layout.fillWidth: true
                elide: Text.ElideRight
                visible: root.models.remote
                text: qsTr("%1 · %2 · on the server").arg(root.modelId)
                      .arg(root.architecture === "" ? qsTr("unknown") : root.architecture)
                opacity: 0.7
            }
            Label {
                Layout.fillWidth: true
                elide: Text.ElideRight
                visible: !root.models.remote
                text: qsTr("%1 · %2 · %3 MB · %4 tensors").arg(root.modelId)
                      .arg(root.architecture === "" ? qsTr("unknown") : root.architecture)
                      .arg((root.fileSize / 1048576).toFixed(1)).arg(root.tensorCount)
                opacity: 0.7
            }
            Label {
                Layout.fillWidth: true
                visible: root.error !== ""
                text: root.error
                color: "#d1242f"
                wrapMode: Text.Wrap
            }
            ProgressBar {
                objectName: "loadProgress"
                Layout.fillWidth: true
                visible: root.loading
                indeterminate: root.progress < 0
                value: Math.max(0, root.progress)
            }
            Label {
                objectName: "loadProgressText"
                Layout.fillWidth: true
                visible: root.loading
                text: root.progressText
                opacity: 0.7
                elide: Text.ElideRight
            }
        }
        Label {
            // A fixed width keeps every row's buttons in one column.
            Layout.preferredWidth: 76
            horizontalAlignment: Text.AlignRight
            text: root.loading ? (root.loaded ? qsTr("Unloading…") : qsTr("Loading…"))
                               : root.loaded ? qsTr("Loaded") : ""
        }
        Button {
            objectName: "loadButton"
            visible: !root.models.remote
            text: root.loaded ? qsTr("Unload") : qsTr("Load")
            enabled: !root.loading && root.error === ""
            onClicked: root.loaded ? root.models.unload(root.modelId) : root.models.load(root.modelId)
        }
        Button {
            visible: !root.models.remote
            text: qsTr("Make default")
            enabled: !root.isDefault && root.error === ""
            onClicked: root.models.setDefault(root.modelId)
        }
    }
}
