// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_llm.c - model API requests and answers of each API, whole, streamed, cut and garbled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "llm.h"

static struct llm x;

static int answer(enum llm_api api, const char *body)
{
	llm_init(&x, api, NULL, 0);
	return llm_response(&x, body, strlen(body));
}

static int ask(enum llm_api api, const char *body)
{
	llm_init(&x, api, NULL, 0);
	return llm_request(&x, body, strlen(body), true);
}

static void check_tool(size_t i, const char *name, const char *input)
{
	assert_true(i < x.n_tools);
	assert_string_equal(x.tools[i].name, name);
	assert_string_equal(x.tools[i].input, input);
}

static void test_api_of(void **state)
{
	static const struct { const char *path; enum llm_api api; } cases[] = {
		{ "/v1/messages", LLM_ANTHROPIC }, { "/v1/messages?beta=true", LLM_ANTHROPIC },
		{ "/v1/chat/completions", LLM_OPENAI_CHAT },
		{ "/compatible-mode/v1/chat/completions", LLM_OPENAI_CHAT },
		{ "/v1/responses", LLM_OPENAI_RESPONSES },
		{ "/v1beta/models/gemini-2.5-pro:generateContent", LLM_GEMINI },
		{ "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", LLM_GEMINI },
		{ "/v1/models", LLM_NONE }, { "/", LLM_NONE }, { "", LLM_NONE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(llm_api_of(cases[i].path, strlen(cases[i].path)), cases[i].api);
	llm_init(&x, LLM_GEMINI, cases[6].path, strlen(cases[6].path));
	assert_string_equal(x.model, "gemini-2.5-pro");
	assert_string_equal(llm_api_name(LLM_GEMINI), "gemini");
}

static void test_requests(void **state)
{
	assert_int_equal(ask(LLM_ANTHROPIC, "{\"model\":\"claude-x\",\"system\":\"s\",\"messages\":["
			     "{\"role\":\"user\",\"content\":\"answer the question on the forum\"},"
			     "{\"role\":\"assistant\",\"content\":\"ok\"},"
			     "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
			     "\"content\":\"done\"}]}]}"), 1);
	assert_string_equal(x.model, "claude-x");
	assert_string_equal(x.prompt, "answer the question on the forum");
	assert_int_equal(ask(LLM_OPENAI_CHAT, "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"system\","
			     "\"content\":\"sys\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\","
			     "\"text\":\"a\"},{\"type\":\"image_url\",\"text\":\"no\"},{\"type\":\"text\","
			     "\"text\":\"b\"}]}]}"), 1);
	assert_string_equal(x.prompt, "b"); /* the last text part */
	assert_int_equal(ask(LLM_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
			     "\"text\":\"<system-reminder>x</system-reminder>\"},{\"type\":\"text\",\"text\":\"mine\"},"
			     "{\"type\":\"text\",\"text\":\"<system-reminder>y\"}]}]}"), 1);
	assert_string_equal(x.prompt, "mine"); /* what the agent added is not the request */
	assert_int_equal(ask(LLM_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
			     "\"text\":\"<system-reminder>x\"},{\"type\":\"text\",\"text\":\"<system-reminder>y\"}]}]}"), 1);
	assert_string_equal(x.prompt, "<system-reminder>x\n<system-reminder>y");
	assert_int_equal(ask(LLM_OPENAI_RESPONSES, "{\"model\":\"gpt-5\",\"input\":[{\"type\":\"message\","
			     "\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"fix it\"}]},"
			     "{\"type\":\"function_call_output\",\"output\":\"x\"}]}"), 1);
	assert_string_equal(x.prompt, "fix it");
	assert_int_equal(ask(LLM_OPENAI_RESPONSES, "{\"input\":\"plain\"}"), 1);
	assert_string_equal(x.prompt, "plain");
	assert_int_equal(ask(LLM_GEMINI, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q1\"}]},"
			     "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\"}}]},"
			     "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"f\"}}]}]}"), 1);
	assert_string_equal(x.prompt, "q1");
	assert_int_equal(ask(LLM_GEMINI, "{\"model\":\"gemini-2.5-flash\",\"project\":\"p\",\"request\":"
			     "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"via code assist\"}]}]}}"), 1);
	assert_string_equal(x.prompt, "via code assist");
	assert_string_equal(x.model, "gemini-2.5-flash");
	assert_int_equal(ask(LLM_ANTHROPIC, "{\"messages\":[]}"), 0);
	assert_int_equal(ask(LLM_ANTHROPIC, "{\"messages\":[{\"role\":\"user\",\"content\":"), -1);
	assert_int_equal(x.bad_json, 1);
	assert_int_equal(ask(LLM_ANTHROPIC, "\x01\x02garbage"), -1);
}

/* only the tail of a huge body was read: the prompt is still found, marked partial */
static void test_request_tail(void **state)
{
	const char *tail = "system prompt cut here\"},{\"role\":\"user\",\"content\":\"post the \\\"answer\\\"\"}],"
			   "\"tools\":[{\"name\":\"Bash\"";

	llm_init(&x, LLM_ANTHROPIC, NULL, 0);
	assert_int_equal(llm_request(&x, tail, strlen(tail), false), 1);
	assert_true(x.prompt_partial);
	assert_string_equal(x.prompt, "post the \"answer\"");
	llm_init(&x, LLM_ANTHROPIC, NULL, 0);
	assert_int_equal(llm_request(&x, tail, 60, false), -1); /* cut inside the string */
	assert_true(x.prompt_partial);
	assert_string_equal(x.prompt, "");
	/* the agent's reminders before the user's words; the model wherever it is */
	tail = "{\"model\": \"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
	       "\"text\":\"<system-reminder>ctx\"},{\"type\":\"text\",\"text\":\"say hi\"},{\"type\":"
	       "\"text\",\"text\":\"<system-reminder>more\"}]}],\"system\":[{\"text\":\"sys\"},{\"text\":\"cu";
	llm_init(&x, LLM_ANTHROPIC, NULL, 0);
	assert_int_equal(llm_request(&x, tail, strlen(tail), false), 1);
	assert_string_equal(x.prompt, "say hi");
	assert_string_equal(x.model, "claude-x");
	assert_true(x.prompt_partial);
}

static void test_prompt_cut_redacted(void **state)
{
	size_t n = LLM_PROMPT_MAX * 3;
	char *body = malloc(n + 100);
	size_t at;

	strcpy(body, "{\"messages\":[{\"role\":\"user\",\"content\":\"key sk-ant-abcdefghijklmnopqrstuvwxyz0123 ");
	at = strlen(body);
	memset(body + at, 'a', n);
	strcpy(body + at + n, "\"}]}");
	assert_int_equal(ask(LLM_ANTHROPIC, body), 1);
	assert_true(x.prompt_cut);
	assert_int_equal(strlen(x.prompt), LLM_PROMPT_MAX - 1);
	llm_finish(&x);
	assert_null(strstr(x.prompt, "abcdefghijklmnop"));
	assert_non_null(strstr(x.prompt, "[REDACTED]"));
	free(body);
}

static const char anthropic_sse[] =
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-m\","
	"\"content\":[]}}\n\n"
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
	"\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":1,"
	"\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}}\r\n\r\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
	"\"partial_json\":\"{\\\"command\\\": \\\"curl -X POST\"}}\n\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
	"\"partial_json\":\" https://forum.corp.example/t/1\\\"}\"}}\n\n"
	"data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\","
	"\"name\":\"Read\",\"input\":{}}}\n\n"
	"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\","
	"\"partial_json\":\"{\\\"file_path\\\":\\\"/etc/hosts\\\"}\"}}\n\n"
	"data: {\"type\":\"message_stop\"}\n\n";

static void test_anthropic(void **state)
{
	char shown[256];

	assert_int_equal(answer(LLM_ANTHROPIC, anthropic_sse), 2);
	assert_string_equal(x.model, "claude-m");
	check_tool(0, "Bash", "{\"command\": \"curl -X POST https://forum.corp.example/t/1\"}");
	check_tool(1, "Read", "{\"file_path\":\"/etc/hosts\"}");
	llm_tool_shown(&x.tools[0], shown, sizeof(shown));
	assert_string_equal(shown, "curl -X POST https://forum.corp.example/t/1");
	/* whole */
	assert_int_equal(answer(LLM_ANTHROPIC, "{\"type\":\"message\",\"model\":\"m\",\"content\":["
				"{\"type\":\"text\",\"text\":\"x\"},{\"type\":\"tool_use\",\"name\":\"Bash\","
				"\"input\":{\"command\":\"ls\"}}]}"), 1);
	check_tool(0, "Bash", "{\"command\":\"ls\"}");
	/* cut in the middle of the second delta: the first piece stays */
	assert_int_equal(answer(LLM_ANTHROPIC, ""), -1);
	llm_init(&x, LLM_ANTHROPIC, NULL, 0);
	assert_int_equal(llm_response(&x, anthropic_sse, 520), 1);
	check_tool(0, "Bash", "{\"command\": \"curl -X POST");
	assert_int_equal(x.bad_json, 1);
}

static void test_openai_chat(void **state)
{
	assert_int_equal(answer(LLM_OPENAI_CHAT,
		"data: {\"model\":\"qwen3-coder\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"type\":\"function\","
		"\"function\":{\"name\":\"run_shell_command\",\"arguments\":\"\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
		"\"{\\\"command\\\":\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"name\":\"read_file\","
		"\"arguments\":\"{}\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
		"\"\\\"ls\\\"}\"}}]}}]}\n\n"
		"data: [DONE]\n\n"), 2);
	assert_string_equal(x.model, "qwen3-coder");
	check_tool(0, "run_shell_command", "{\"command\":\"ls\"}");
	check_tool(1, "read_file", "{}");
	assert_int_equal(x.bad_json, 0);
	assert_int_equal(answer(LLM_OPENAI_CHAT, "{\"model\":\"m\",\"choices\":[{\"message\":{\"tool_calls\":["
				"{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":1}\"}},"
				"{\"function\":{\"name\":\"b\",\"arguments\":\"{}\"}}]}}]}"), 2);
	check_tool(0, "a", "{\"x\":1}");
	check_tool(1, "b", "{}");
}

static void test_openai_responses(void **state)
{
	assert_int_equal(answer(LLM_OPENAI_RESPONSES,
		"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"model\":\"gpt-5\","
		"\"output\":[]}}\n\n"
		"data: {\"type\":\"response.output_item.added\",\"output_index\":1,\"item\":{\"type\":"
		"\"function_call\",\"name\":\"shell\",\"arguments\":\"\"}}\n\n"
		"data: {\"type\":\"response.function_call_arguments.delta\",\"output_index\":1,\"delta\":\"{\\\"cmd\\\"\"}\n\n"
		"data: {\"type\":\"response.function_call_arguments.delta\",\"output_index\":1,\"delta\":\":[1]}\"}\n\n"
		"data: {\"type\":\"response.function_call_arguments.done\",\"output_index\":1,"
		"\"arguments\":\"{\\\"cmd\\\":[\\\"ls\\\"]}\"}\n\n"), 1);
	assert_string_equal(x.model, "gpt-5");
	check_tool(0, "shell", "{\"cmd\":[\"ls\"]}");
	assert_int_equal(answer(LLM_OPENAI_RESPONSES, "{\"object\":\"response\",\"model\":\"m\",\"output\":["
				"{\"type\":\"message\"},{\"type\":\"function_call\",\"name\":\"f\",\"arguments\":\"{}\"},"
				"{\"type\":\"local_shell_call\",\"action\":{\"command\":[\"id\"]}}]}"), 2);
	check_tool(0, "f", "{}");
	check_tool(1, "local_shell", "{\"command\":[\"id\"]}");
}

static void test_gemini(void **state)
{
	static const char stream[] =
		"[{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"ok\"}]}}],"
		"\"modelVersion\":\"gemini-2.5-pro\"}\r\n,\r\n"
		"{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"run_shell_command\","
		"\"args\":{\"command\":\"curl -X POST http://x.test/\"}}},{\"functionCall\":{\"name\":\"ls\","
		"\"args\":{}}}]}}]}\r\n]";

	assert_int_equal(answer(LLM_GEMINI, stream), 2);
	assert_string_equal(x.model, "gemini-2.5-pro");
	check_tool(0, "run_shell_command", "{\"command\":\"curl -X POST http://x.test/\"}");
	check_tool(1, "ls", "{}");
	/* the array cut: the elements before the cut */
	llm_init(&x, LLM_GEMINI, NULL, 0);
	assert_int_equal(llm_response(&x, stream, 150), 0);
	assert_int_equal(x.bad_json, 1);
	/* SSE, and the Code Assist wrapping */
	assert_int_equal(answer(LLM_GEMINI, "data: {\"response\":{\"candidates\":[{\"content\":{\"parts\":["
				"{\"functionCall\":{\"name\":\"web_fetch\",\"args\":{\"url\":\"u\"}}}]}}]}}\r\n\r\n"), 1);
	check_tool(0, "web_fetch", "{\"url\":\"u\"}");
}

static void test_garbage_and_bounds(void **state)
{
	size_t n = 200000;
	char *big = malloc(n + 200), *p;

	assert_int_equal(answer(LLM_NONE, "data: {not json\n\ndata: \x7f\xff\n\n"), -1);
	assert_int_equal(x.bad_json, 2);
	assert_int_equal(answer(LLM_NONE, "[[[[[[[[[[[["), -1);
	assert_int_equal(answer(LLM_NONE, "{\"choices\":7,\"candidates\":{},\"content\":\"x\",\"type\":5}"), 0);
	assert_int_equal(llm_response(&x, NULL, 3), -1);
	/* a huge tool input: cut, counted */
	p = big + sprintf(big, "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"w\","
			       "\"arguments\":\"");
	memset(p, 'z', n);
	strcpy(p + n, "\"}}]}}]}");
	assert_int_equal(answer(LLM_OPENAI_CHAT, big), 1);
	assert_true(x.tools[0].input_cut);
	assert_int_equal(x.inputs_cut, 1);
	assert_int_equal(x.tools[0].input_len, LLM_INPUT_MAX - 1);
	/* more tool calls than kept: counted */
	p = big + sprintf(big, "{\"candidates\":[{\"content\":{\"parts\":[");
	for (int i = 0; i < LLM_TOOLS_MAX + 5; i++)
		p += sprintf(p, "%s{\"functionCall\":{\"name\":\"t%d\",\"args\":{}}}", i ? "," : "", i);
	strcpy(p, "]}}]}");
	assert_int_equal(answer(LLM_GEMINI, big), LLM_TOOLS_MAX);
	assert_int_equal(x.tools_dropped, 5);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_of),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_request_tail),
		cmocka_unit_test(test_prompt_cut_redacted),
		cmocka_unit_test(test_anthropic),
		cmocka_unit_test(test_openai_chat),
		cmocka_unit_test(test_openai_responses),
		cmocka_unit_test(test_gemini),
		cmocka_unit_test(test_garbage_and_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
