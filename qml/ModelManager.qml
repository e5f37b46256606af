import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Parley.Core

// The installed GGUF models: metadata, load/unload with progress, the default, adding a file.
Dialog {
    id: root

    required property ModelListModel models

    title: qsTr("Models")
    modal: true
    width: parent ? Math.min(720, parent.width - 24) : 720
    height: 480
    standardButtons: Dialog.Close

    FileDialog {
        id: fileDialog
        title: qsTr("Add a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: root.models.addFile(selectedFile)
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6
        Label {
            Layout.fillWidth: true
            text: root.models.remote ? qsTr("The remote server's models")
                                     : qsTr("Folder: %1").arg(root.models.modelsDirectory)
            elide: Text.ElideMiddle
            opacity: 0.7
        }
        ListView {
            objectName: "modelList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 6
            model: root.models
            delegate: ModelDelegate {
                width: ListView.view.width
                models: root.models
            }
        }
        Label {
            Layout.fillWidth: true
            visible: root.models.errorText !== ""
            text: root.models.errorText
            color: "#d1242f"
            wrapMode: Text.Wrap
        }
        RowLayout {
            Button {
                visible: !root.models.remote
                text: qsTr("Add a GGUF file…")
                onClicked: fileDialog.open()
            }
            Button {
                text: root.models.remote ? qsTr("Refresh") : qsTr("Rescan")
                onClicked: root.models.refresh()
            }
            BusyIndicator {
                running: root.models.busy
                implicitHeight: 28
                implicitWidth: 28
            }
        }
    }
}
