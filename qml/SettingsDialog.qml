import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// Preferences: system prompt, generation parameters, theme, data location, server mode and the
// connection to a remote Parley server. Every change is saved at once.
Dialog {
    id: root

    required property AppSettings settings
    required property ServerMode server

    title: qsTr("Settings")
    modal: true
    width: 600
    height: 620
    standardButtons: Dialog.Close

    ScrollView {
        objectName: "settingsScroll"
        anchors.fill: parent
        contentWidth: availableWidth

        GridLayout {
            width: parent.width
            columns: 2
            columnSpacing: 12
            rowSpacing: 8

            Label { text: qsTr("Theme") }
            ComboBox {
                objectName: "themeCombo"
                Layout.fillWidth: true
                model: [qsTr("System"), qsTr("Light"), qsTr("Dark")]
                currentIndex: root.settings.theme
                onActivated: (i) => root.settings.theme = i
            }

            Label { text: qsTr("System prompt"); Layout.alignment: Qt.AlignTop }
            TextArea {
                Layout.fillWidth: true
                Layout.preferredHeight: 80
                wrapMode: TextEdit.Wrap
                placeholderText: qsTr("Empty: Parley's built-in prompt")
                text: root.settings.systemPrompt
                onEditingFinished: root.settings.systemPrompt = text
            }

            Label { text: qsTr("Temperature") }
            RowLayout {
                Slider {
                    id: temperature
                    Layout.fillWidth: true
                    from: 0
                    to: 2
                    stepSize: 0.05
                    value: root.settings.temperature
                    onMoved: root.settings.temperature = value
                }
                Label { text: temperature.value.toFixed(2) }
            }

            Label { text: qsTr("Top-p") }
            RowLayout {
                Slider {
                    id: topP
                    Layout.fillWidth: true
                    from: 0
                    to: 1
                    stepSize: 0.01
                    value: root.settings.topP
                    onMoved: root.settings.topP = value
                }
                Label { text: topP.value.toFixed(2) }
            }

            Label { text: qsTr("Top-k") }
            SpinBox {
                from: 0
                to: 500
                value: root.settings.topK
                editable: true
                onValueModified: root.settings.topK = value
            }

            Label { text: qsTr("Longest answer (tokens)") }
            SpinBox {
                from: 16
                to: 8192
                stepSize: 16
                value: root.settings.maxTokens
                editable: true
                onValueModified: root.settings.maxTokens = value
            }

            Item { width: 1; height: 1 }
            Button {
                text: qsTr("Reset generation settings")
                onClicked: root.settings.resetGeneration()
            }

            Label { text: qsTr("Data location") }
            TextField {
                Layout.fillWidth: true
                text: root.settings.dataLocation
                onEditingFinished: root.settings.dataLocation = text
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Takes effect at the next start")
            }

            Label { text: qsTr("Server mode"); font.bold: true; Layout.columnSpan: 2; topPadding: 8 }
            Label { text: qsTr("Share this app's server") }
            Switch {
                objectName: "serverSwitch"
                checked: root.settings.serverEnabled
                onToggled: root.settings.serverEnabled = checked
            }
            Label { text: qsTr("Address") }
            TextField {
                Layout.fillWidth: true
                text: root.settings.serverAddress
                onEditingFinished: root.settings.serverAddress = text
            }
            Label { text: qsTr("Port") }
            SpinBox {
                from: 1
                to: 65535
                editable: true
                value: root.settings.serverPort
                onValueModified: root.settings.serverPort = value
                textFromValue: (v) => String(v)
            }
            Label { text: qsTr("TLS certificate (PEM)") }
            TextField {
                Layout.fillWidth: true
                placeholderText: qsTr("none: plain HTTP")
                text: root.settings.serverCertificate
                onEditingFinished: root.settings.serverCertificate = text
            }
            Label { text: qsTr("TLS key (PEM)") }
            TextField {
                Layout.fillWidth: true
                text: root.settings.serverKey
                onEditingFinished: root.settings.serverKey = text
            }
            ServerModePanel {
                objectName: "serverModePanel"
                Layout.columnSpan: 2
                Layout.fillWidth: true
                server: root.server
            }

            Label { text: qsTr("Remote server"); font.bold: true; Layout.columnSpan: 2; topPadding: 8 }
            Label { text: qsTr("Use a remote server") }
            Switch {
                checked: root.settings.remoteEnabled
                onToggled: root.settings.remoteEnabled = checked
            }
            Label { text: qsTr("URL") }
            TextField {
                Layout.fillWidth: true
                placeholderText: "https://parley.example.org:8765"
                text: root.settings.remoteUrl
                onEditingFinished: root.settings.remoteUrl = text
            }
            Label { text: qsTr("API key") }
            TextField {
                Layout.fillWidth: true
                echoMode: TextInput.Password
                text: root.settings.remoteApiKey
                onEditingFinished: root.settings.remoteApiKey = text
            }
            Label {
                Layout.columnSpan: 2
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                opacity: 0.7
                text: qsTr("Remote settings take effect at the next start.")
            }
        }
    }
}
