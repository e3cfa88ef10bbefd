// Typed members of JSON objects for the core's readers: each throws InputError naming the field
// (`prefix` + key) and the rule when a member has the wrong type or, where required, is missing.
#pragma once

#include <QJsonObject>
#include <QJsonValue>

#include <string>

namespace lts::jsonfield {

std::string typeName(const QJsonValue& v); // "a number", "a string", ...
long long toInteger(const QJsonValue& v, const std::string& field);
int toInt(const QJsonValue& v, const std::string& field);
int intField(const QJsonObject& o, const char* key, const std::string& prefix = {}); // required
int intField(const QJsonObject& o, const char* key, int fallback, const std::string& prefix = {});
double numberField(const QJsonObject& o, const char* key, double fallback, const std::string& prefix = {});
std::string stringField(
    const QJsonObject& o, const char* key, const std::string& fallback, const std::string& prefix = {});
bool boolField(const QJsonObject& o, const char* key, bool fallback, const std::string& prefix = {});

} // namespace lts::jsonfield
