using Microsoft.AspNetCore.DataProtection;
using OidcRp.StackExchangeRedis;
using StackExchange.Redis;

namespace OidcRp.Samples.MvcApp;

/// <summary>
/// Farm mode (samples/farm.sh): with <c>Sample:Farm:Redis</c> set, this instance shares OidcRp's state and the Data
/// Protection key ring (state, correlation and session cookies readable on every instance) through Redis, and
/// answers an <c>X-Instance</c> header so a page shows which instance served it.
/// </summary>
internal static class SampleFarm
{
    public static void Add(WebApplicationBuilder builder)
    {
        var redis = builder.Configuration["Sample:Farm:Redis"];
        if (string.IsNullOrEmpty(redis))
        {
            return;
        }
        var instance = builder.Configuration["Sample:Farm:Instance"] ?? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Services.AddDataProtection()
            .SetApplicationName("oidcrp-sample-mvcapp")
            .PersistKeysToStackExchangeRedis(() => ConnectionMultiplexer.Connect(redis).GetDatabase(), "oidcrp-sample:dataprotection-keys");
        builder.Services.AddOidcRpRedis(options =>
        {
            options.Configuration = redis;
            options.KeyPrefix = "oidcrp-sample:";
            options.SharedKey = builder.Configuration["Sample:Farm:SharedKey"];
            options.InstanceName = instance;
        });
        builder.Services.AddSingleton(new FarmInstance(instance));
    }

    /// <summary>Tags every response with the instance that served it.</summary>
    public static void Use(WebApplication app)
    {
        if (app.Services.GetService<FarmInstance>() is { } instance)
        {
            app.Use((context, next) =>
            {
                context.Response.Headers["X-Instance"] = instance.Name;
                return next(context);
            });
        }
    }
}

/// <summary>This instance's name in farm mode.</summary>
internal sealed record FarmInstance(string Name);
