// Extension points of the chat pipeline that later issues fill: long-term memory, retrieval over
// the user's files, tools and moderation. The pipeline calls a hook only when one is installed;
// with none installed the stage passes its input through unchanged.
#pragma once

#include <QString>

#include <vector>

#include "chat/chat_service.h"
#include "common/result.h"

namespace parley::chat {

// What a stage is asked about: the user, the conversation and the new message.
struct HookInput {
    QString userId;
    QString conversationId;
    QString content;
};

// Text a hook adds to the prompt, shown in the context report under its kind and label.
struct ContextContribution {
    ContextPart::Kind kind = ContextPart::Kind::Memory;
    QString label;
    QString text;
};

class MemoryHook {
  public:
    virtual ~MemoryHook() = default;
    virtual Result<std::vector<ContextContribution>> recall(const HookInput& input) = 0;
};

class RetrievalHook {
  public:
    virtual ~RetrievalHook() = default;
    virtual Result<std::vector<ContextContribution>> retrieve(const HookInput& input) = 0;
};

class ToolsHook {
  public:
    virtual ~ToolsHook() = default;
    // Tool descriptions the model may call, as prompt text.
    virtual Result<std::vector<ContextContribution>> describeTools(const HookInput& input) = 0;
};

class ModerationHook {
  public:
    virtual ~ModerationHook() = default;
    // An error refuses the request with its message.
    virtual Status checkInput(const HookInput& input) = 0;
};

// Non-owning; the hooks must outlive the ChatCore they are given to.
struct PipelineHooks {
    MemoryHook* memory = nullptr;
    RetrievalHook* retrieval = nullptr;
    ToolsHook* tools = nullptr;
    ModerationHook* moderation = nullptr;
};

}  // namespace parley::chat
