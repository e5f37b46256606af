#include "chat/context_builder.h"

namespace parley::chat {

namespace {

// Tokens a chat template spends around one message (role markers, separators); the estimate only
// guides the selection, the rendered prompt is measured exactly afterwards.
constexpr int kTurnOverhead = 6;

struct Plan {
    int firstVerbatim = 0;  // turns before it are left out (or in the summary)
    bool useSummary = false;
};

}  // namespace

int countTokens(const runtime::LoadedModel& model, const QString& text) {
    return int(model.tokenizer().encode(text.toStdString(), false, false).size());
}

Result<BuiltContext> buildContext(const runtime::LoadedModel& model, const ContextInput& input) {
    const int budget = input.contextTokens - input.reservedTokens;
    if (input.turns.empty()) {
        return makeError("context: nothing to answer");
    }
    if (budget <= 0) {
        return makeError("context: the model's window of " + std::to_string(input.contextTokens) +
                         " tokens leaves no room for a prompt beside " +
                         std::to_string(input.reservedTokens) + " tokens for the answer");
    }
    const auto tokensOf = [&](const QString& text) { return countTokens(model, text); };

    QString systemText = input.systemPrompt;
    for (const ContextContribution& c : input.contributions) {
        systemText += QStringLiteral("\n\n%1:\n%2").arg(c.label, c.text);
    }
    const int n = int(input.turns.size());
    std::vector<int> turnTokens(n);
    int allTurns = 0;
    for (int i = 0; i < n; ++i) {
        turnTokens[i] = tokensOf(input.turns[i].content) + kTurnOverhead;
        allTurns += turnTokens[i];
    }
    const int systemTokens = systemText.isEmpty() ? 0 : tokensOf(systemText) + kTurnOverhead;

    int summaryIndex = -1;
    if (input.summary) {
        for (int i = 0; i + 1 < n; ++i) {
            if (input.turns[i].messageId == input.summary->lastMessageId) {
                summaryIndex = i;
            }
        }
    }
    const QString summaryText =
        summaryIndex >= 0
            ? QStringLiteral("Summary of the earlier conversation:\n") + input.summary->text
            : QString();

    Plan plan;
    if (systemTokens + allTurns > budget) {
        plan.useSummary = summaryIndex >= 0;
        int used =
            systemTokens + turnTokens[n - 1] + (plan.useSummary ? tokensOf(summaryText) + 2 : 0);
        plan.firstVerbatim = n - 1;
        while (plan.firstVerbatim - 1 > summaryIndex &&
               used + turnTokens[plan.firstVerbatim - 1] <= budget) {
            --plan.firstVerbatim;
            used += turnTokens[plan.firstVerbatim];
        }
    }

    const auto render = [&](const Plan& p) -> Result<std::vector<model::TokenId>> {
        std::vector<chat_template::ChatMessage> messages;
        QString system = systemText;
        if (p.useSummary) {
            system += (system.isEmpty() ? QString() : QStringLiteral("\n\n")) + summaryText;
        }
        if (!system.isEmpty()) {
            messages.push_back({"system", system.toStdString()});
        }
        const int lastRendered = input.continueLastTurn ? n - 1 : n;
        for (int i = p.firstVerbatim; i < lastRendered; ++i) {
            messages.push_back(
                {input.turns[i].role.toStdString(), input.turns[i].content.toStdString()});
        }
        auto tokens = model.promptTokens(messages, true);
        if (!tokens) {
            return tokens.error();
        }
        if (input.continueLastTurn) {
            const auto partial =
                model.tokenizer().encode(input.turns[n - 1].content.toStdString(), false, false);
            tokens->insert(tokens->end(), partial.begin(), partial.end());
        }
        return tokens;
    };

    Result<std::vector<model::TokenId>> tokens = render(plan);
    while (tokens && int(tokens->size()) > budget) {
        // The estimate was short: give up the oldest verbatim turn, then the summary.
        if (plan.firstVerbatim < n - 1) {
            ++plan.firstVerbatim;
        } else if (plan.useSummary) {
            plan.useSummary = false;
        } else {
            return makeError(
                "context: the message needs " + std::to_string(tokens->size()) +
                " prompt tokens but the model's window leaves " + std::to_string(budget) + " (" +
                std::to_string(input.contextTokens) + " minus " +
                std::to_string(input.reservedTokens) +
                " for the answer); shorten it or choose a model with a longer context");
        }
        tokens = render(plan);
    }
    if (!tokens) {
        return makeError("context: cannot render the prompt: " + tokens.error().message);
    }

    BuiltContext built;
    built.tokens = std::move(tokens.value());
    ContextReport& report = built.report;
    report.contextTokens = input.contextTokens;
    report.reservedTokens = input.reservedTokens;
    report.promptTokens = int(built.tokens.size());
    if (!input.systemPrompt.isEmpty()) {
        report.parts.push_back({ContextPart::Kind::SystemPrompt,
                                {},
                                QStringLiteral("system prompt"),
                                tokensOf(input.systemPrompt),
                                true});
    }
    for (const ContextContribution& c : input.contributions) {
        report.parts.push_back({c.kind, {}, c.label, tokensOf(c.text), true});
    }
    if (summaryIndex >= 0) {
        report.parts.push_back(
            {ContextPart::Kind::Summary, input.summary->lastMessageId,
             QStringLiteral("summary of %1 earlier messages").arg(input.summary->messageCount),
             tokensOf(summaryText), plan.useSummary});
    }
    for (int i = 0; i < n; ++i) {
        const bool inSummary = plan.useSummary && i <= summaryIndex;
        report.parts.push_back({ContextPart::Kind::Turn, input.turns[i].messageId,
                                inSummary ? input.turns[i].role + QStringLiteral(" (in summary)")
                                          : input.turns[i].role,
                                turnTokens[i] - kTurnOverhead, i >= plan.firstVerbatim});
    }
    const int newestCut = plan.firstVerbatim - 1;
    if (newestCut >= 0 && !(plan.useSummary && summaryIndex >= newestCut)) {
        built.summarizeThroughMessageId = input.turns[newestCut].messageId;
    }
    return built;
}

}  // namespace parley::chat
