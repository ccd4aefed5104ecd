-- Headless Neovim as a real LSP client of `lockscope lsp` (works on 0.7.2, Debian 12, and newer).
-- Env:
--   LSP_CMD     server command (space-separated), e.g. "node /repo/bin/lockscope lsp"
--   LSP_ROOT    workspace folder (root_dir)
--   LSP_FILE    file to open
--   LSP_EXPECT  comma-separated rule ids that must all be published for LSP_FILE before we go on
--   LSP_HOVER   optional "line:col" (1-based) to hover
--   LSP_OUT     result JSON: { diagnostics, code_actions, hover, after_fix, error? }
-- Steps: wait for the expected diagnostics, ask for code actions on the first expected diagnostic's
-- line, hover, apply the "Suppress <rule> on this line" edit and wait for the republished diagnostics.
-- Exit code 0 = done (the checks are made by check.mjs on the JSON), 2 = timeout, 3 = request error.
local out = os.getenv('LSP_OUT') or 'lsp-result.json'
local cmd = vim.split(os.getenv('LSP_CMD') or 'lockscope lsp', ' ', { trimempty = true })
local root = os.getenv('LSP_ROOT') or vim.fn.getcwd()
local file = os.getenv('LSP_FILE')
local expect = vim.split(os.getenv('LSP_EXPECT') or '', ',', { trimempty = true })
local hover_at = os.getenv('LSP_HOVER')
if hover_at == '' then hover_at = nil end
local result = { events = {} }
local phase = 'wait-diagnostics'
local fixed_rule

local function finish(code)
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd((code == 0) and 'qall!' or ('cquit ' .. code))
end
vim.defer_fn(function()
  result.error = 'timeout in phase ' .. phase
  finish(2)
end, tonumber(os.getenv('LSP_TIMEOUT_MS') or '20000'))

local function has_rule(diags, rule)
  for _, d in ipairs(diags) do
    if d.code == rule then return d end
  end
end

local function after_actions(client, bufnr, uri)
  -- apply the suppress action for the first expected rule, then wait for the republish
  for _, a in ipairs(result.code_actions or {}) do
    if a.edit and a.title == ('Suppress ' .. expect[1] .. ' on this line') then
      fixed_rule = expect[1]
      phase = 'wait-after-fix'
      vim.lsp.util.apply_workspace_edit(a.edit, client.offset_encoding or 'utf-16')
      return
    end
  end
  result.error = 'no suppress action to apply'
  finish(0)
end

local function on_expected(client, bufnr, uri, diags)
  local first = has_rule(diags, expect[1])
  local on_line = {}
  for _, d in ipairs(diags) do
    if d.range.start.line == first.range.start.line then table.insert(on_line, d) end
  end
  phase = 'code-actions'
  client.request('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = first.range,
    context = { diagnostics = on_line },
  }, function(err, actions)
    if err then
      result.error = vim.inspect(err)
      return finish(3)
    end
    result.code_actions = actions or {}
    if not hover_at then return after_actions(client, bufnr, uri) end
    phase = 'hover'
    local l, c = hover_at:match('(%d+):(%d+)')
    client.request('textDocument/hover', {
      textDocument = { uri = uri },
      position = { line = tonumber(l) - 1, character = tonumber(c) - 1 },
    }, function(herr, hover)
      if herr then
        result.error = vim.inspect(herr)
        return finish(3)
      end
      result.hover = hover or vim.NIL
      after_actions(client, bufnr, uri)
    end, bufnr)
  end, bufnr)
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local uri = vim.uri_from_bufnr(bufnr)

local default = vim.lsp.handlers['textDocument/publishDiagnostics']
local config = {
  name = 'lockscope',
  cmd = cmd,
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = 'ws' } },
  settings = { lockscope = {} },
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, res, ctx, cfg)
      default(err, res, ctx, cfg)
      if res.uri ~= uri then return end
      table.insert(result.events, { phase = phase, count = #res.diagnostics })
      local client = vim.lsp.get_client_by_id(ctx.client_id)
      if phase == 'wait-diagnostics' then
        for _, rule in ipairs(expect) do
          if not has_rule(res.diagnostics, rule) then return end
        end
        result.diagnostics = res
        on_expected(client, bufnr, uri, res.diagnostics)
      elseif phase == 'wait-after-fix' and not has_rule(res.diagnostics, fixed_rule) then
        result.after_fix = res
        finish(0)
      end
    end,
  },
}
if vim.lsp.start then
  vim.lsp.start(config) -- nvim >= 0.8
else
  vim.lsp.buf_attach_client(bufnr, vim.lsp.start_client(config)) -- nvim 0.7 (Debian 12)
end
