// Uploaded files, for the authenticated user (OpenAI's /v1/files shape):
//
//   POST   /v1/files              multipart/form-data with `file` (and `purpose`), as curl -F
//                                 and OpenAI's clients send it; or the raw bytes with
//                                 ?filename=NAME&purpose=P and their Content-Type -> 201 file
//   GET    /v1/files              -> {object:list, data:[file]}
//   GET    /v1/files/{id}         -> file
//   GET    /v1/files/{id}/content -> the bytes
//   DELETE /v1/files/{id}         -> {id, object:"file", deleted:true}
//
// An upload above the store's limit answers 413; another user's file id answers 404.
#pragma once

namespace parley::gateway {

class FilesStore;
class Router;

void registerFilesRoutes(Router& router, FilesStore& files);

}  // namespace parley::gateway
