import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

ApplicationWindow {
    id: window

    required property AppSession session
    readonly property bool dark: session.darkTheme

    width: 1100
    height: 720
    minimumWidth: 480
    minimumHeight: 360
    visible: true
    title: qsTr("Parley")
    color: palette.window

    palette.window: dark ? "#1e1f22" : "#ffffff"
    palette.windowText: dark ? "#e6e6e6" : "#1f2328"
    palette.base: dark ? "#2b2d31" : "#ffffff"
    palette.alternateBase: dark ? "#26282c" : "#f6f8fa"
    palette.text: dark ? "#e6e6e6" : "#1f2328"
    palette.button: dark ? "#34373c" : "#f3f4f6"
    palette.buttonText: dark ? "#e6e6e6" : "#1f2328"
    palette.highlight: dark ? "#3d6fb4" : "#cfe2ff"
    palette.highlightedText: dark ? "#ffffff" : "#1f2328"
    palette.mid: dark ? "#4a4d52" : "#d0d7de"
    palette.light: dark ? "#3a3d42" : "#ffffff"
    palette.dark: dark ? "#121314" : "#afb8c1"
    palette.placeholderText: dark ? "#8b8f96" : "#6e7781"
    palette.link: dark ? "#6cb6ff" : "#0969da"
    palette.toolTipBase: dark ? "#2b2d31" : "#ffffff"
    palette.toolTipText: dark ? "#e6e6e6" : "#1f2328"

    Shortcut {
        sequences: [StandardKey.Quit]
        onActivated: Qt.quit()
    }

    SplitView {
        anchors.fill: parent

        Sidebar {
            SplitView.preferredWidth: 270
            SplitView.minimumWidth: 180
            threads: window.session.threads
            chat: window.session.chat
        }
        ChatView {
            SplitView.fillWidth: true
            session: window.session
            onModelsRequested: modelManager.open()
            onSettingsRequested: settingsDialog.open()
            onContextRequested: (messageId) => {
                window.session.chat.inspectContext(messageId)
                contextInspector.open()
            }
        }
    }

    ModelManager {
        id: modelManager
        anchors.centerIn: parent
        models: window.session.models
    }
    SettingsDialog {
        id: settingsDialog
        anchors.centerIn: parent
        settings: window.session.settings
        server: window.session.server
    }
    ContextInspector {
        id: contextInspector
        anchors.centerIn: parent
        chat: window.session.chat
    }
}
